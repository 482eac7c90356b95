#version 330
// Signed distance per shape: negative inside. Fill covers d < 0, the stroke the
// band |d| < weight / 2, both anti-aliased over one canvas pixel. Output is
// premultiplied colour.

in vec2 v_local;
flat in vec4 v_a;     // half width, half height, half stroke weight, local units per pixel
flat in uvec4 v_c;    // fill RGBA8, stroke RGBA8, radii tl|tr, br|bl (fractions of the shorter half)
flat in uint v_k;     // 0 ellipse, 1 rounded box, 2 solid

uniform int u_darkest;

out vec4 frag_color;

vec4 unpack_rgba8(uint c) {
    return vec4(float(c & 255u), float((c >> 8) & 255u), float((c >> 16) & 255u), float(c >> 24)) / 255.0;
}

float sd_ellipse(vec2 p, vec2 r) {
    if (abs(r.x - r.y) < 1e-4 * r.x) {
        return length(p) - r.x;
    }
    r = max(r, vec2(1e-5));
    float k0 = length(p / r);
    float k1 = length(p / (r * r));
    return k1 > 0.0 ? k0 * (k0 - 1.0) / k1 : -min(r.x, r.y);
}

float sd_round_box(vec2 p, vec2 b) {
    // Corners tl, tr, br, bl; y grows downwards.
    uint pair = p.y > 0.0 ? v_c.w : v_c.z;
    bool right = p.x > 0.0;
    uint frac = p.y > 0.0 ? (right ? pair & 65535u : pair >> 16) : (right ? pair >> 16 : pair & 65535u);
    float r = float(frac) / 65535.0 * min(b.x, b.y);
    vec2 q = abs(p) - b + r;
    return min(max(q.x, q.y), 0.0) + length(max(q, 0.0)) - r;
}

float coverage(float d) {
    return clamp(0.5 - d / v_a.w, 0.0, 1.0);
}

void main() {
    vec4 fill = unpack_rgba8(v_c.x);
    vec4 color;
    if (v_k == 2u) {
        color = vec4(fill.rgb * fill.a, fill.a);
    } else {
        float d = v_k == 0u ? sd_ellipse(v_local, v_a.xy) : sd_round_box(v_local, v_a.xy);
        float fc = coverage(d) * fill.a;
        float sc = 0.0;
        vec3 stroke_rgb = vec3(0.0);
        if (v_a.z > 0.0) {
            vec4 stroke = unpack_rgba8(v_c.y);
            sc = (coverage(d - v_a.z) - coverage(d + v_a.z)) * stroke.a;
            stroke_rgb = stroke.rgb;
        }
        color = vec4(stroke_rgb * sc + fill.rgb * fc * (1.0 - sc), sc + fc * (1.0 - sc));
    }
    if (color.a <= 0.0) {
        discard;
    }
    if (u_darkest == 1) {
        color.rgb += 1.0 - color.a;
    }
    frag_color = color;
}
