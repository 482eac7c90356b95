#version 330
// Signed distance per shape: negative inside. Fill covers d < 0, the stroke the
// band |d| < weight / 2, both anti-aliased over one canvas pixel.

in vec2 v_local;
flat in int v_shape;
flat in vec2 v_half;
flat in vec4 v_radii;
flat in vec4 v_fill;
flat in vec4 v_stroke;
flat in float v_hw;
flat in float v_aa;

uniform int u_darkest;

out vec4 frag_color;

float sd_ellipse(vec2 p, vec2 r) {
    r = max(r, vec2(1e-5));
    float k0 = length(p / r);
    float k1 = length(p / (r * r));
    return k1 > 0.0 ? k0 * (k0 - 1.0) / k1 : -min(r.x, r.y);
}

float sd_round_box(vec2 p, vec2 b, vec4 r) {
    // r = (top-left, top-right, bottom-right, bottom-left); y grows downwards.
    float rr = p.x > 0.0 ? (p.y > 0.0 ? r.z : r.y) : (p.y > 0.0 ? r.w : r.x);
    rr = clamp(rr, 0.0, min(b.x, b.y));
    vec2 q = abs(p) - b + rr;
    return min(max(q.x, q.y), 0.0) + length(max(q, 0.0)) - rr;
}

float coverage(float d) {
    return clamp(0.5 - d / v_aa, 0.0, 1.0);
}

void main() {
    vec4 color;
    if (v_shape == 2) {
        color = vec4(v_fill.rgb * v_fill.a, v_fill.a);
    } else {
        float d = v_shape == 0 ? sd_ellipse(v_local, v_half) : sd_round_box(v_local, v_half, v_radii);
        float fc = coverage(d) * v_fill.a;
        float sc = v_hw > 0.0 ? (coverage(d - v_hw) - coverage(d + v_hw)) * v_stroke.a : 0.0;
        color = vec4(v_stroke.rgb * sc + v_fill.rgb * fc * (1.0 - sc), sc + fc * (1.0 - sc));
    }
    if (color.a <= 0.0) {
        discard;
    }
    if (u_darkest == 1) {
        color.rgb += 1.0 - color.a;
    }
    frag_color = color;
}
