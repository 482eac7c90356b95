#version 330
// Signed distance per shape: negative inside. Fill covers d < 0, the stroke the
// band |d| < weight / 2, both anti-aliased over one canvas pixel. Output is
// premultiplied colour.

in vec4 v_local;
flat in vec4 v_a;       // half width, half height, half stroke weight, canvas pixels per local unit
flat in vec4 v_fill;    // premultiplied
flat in vec4 v_stroke;  // premultiplied
flat in uvec3 v_r;      // radii tl|tr, br|bl (fractions of the shorter half side), kind
                        // (0 circle, 1 rounded box, 2 solid, 3 ellipse, 4 fringe: coverage in
                        // v_local.x, 5 convex triangle/quad: edge distances in v_local,
                        // 6 stroke band: only the distance across counts)

uniform float u_sharpness; // 1: edges soften over one pixel; large under no_smooth()
uniform float u_edge;      // coverage on the edge itself: 1/2, or 1 under no_smooth()

out vec4 frag_color;

float sd_ellipse(vec2 p, vec2 r) {
    r = max(r, vec2(1e-5));
    float k0 = length(p / r);
    float k1 = length(p / (r * r));
    return k1 > 0.0 ? k0 * (k0 - 1.0) / k1 : -min(r.x, r.y);
}

float sd_round_box(vec2 p, vec2 b) {
    // Corners tl, tr, br, bl; y grows downwards.
    uint pair = p.y > 0.0 ? v_r.y : v_r.x;
    bool right = p.x > 0.0;
    uint frac = p.y > 0.0 ? (right ? pair & 65535u : pair >> 16) : (right ? pair >> 16 : pair & 65535u);
    float r = float(frac) / 65535.0 * min(b.x, b.y);
    vec2 q = abs(p) - b + r;
    return min(max(q.x, q.y), 0.0) + length(max(q, 0.0)) - r;
}

// One function per kind; renderer.py writes main() to call only the kinds a batch
// holds, so a batch of circles runs straight-line code with no branches.

float distance_circle() {
    return length(v_local.xy) - v_a.x;
}

float distance_round_box() {
    return sd_round_box(v_local.xy, v_a.xy);
}

float distance_ellipse() {
    return sd_ellipse(v_local.xy, v_a.xy);
}

float distance_polygon() {
    return max(max(v_local.x, v_local.y), max(v_local.z, v_local.w));
}

float distance_band() {
    return abs(v_local.y) - v_a.y;
}

vec4 shade(float d) {
    // Distances in canvas pixels from here on.
    float s = u_edge - d * v_a.w * u_sharpness;
    float hw = v_a.z * v_a.w * u_sharpness;
    float fc = clamp(s, 0.0, 1.0);
    float sc = clamp(s + hw, 0.0, 1.0) - clamp(s - hw, 0.0, 1.0);
    return v_stroke * sc + v_fill * (fc * (1.0 - v_stroke.a * sc));
}

vec4 solid() {
    return v_fill;
}

vec4 fringe() {
    return v_fill * v_local.x;
}

void finish(vec4 color) {
    if (color.a <= 0.0) {
        discard;
    }
    frag_color = color;
}

// Under DARKEST the MIN equation ignores alpha: transparent parts must be white.
void finish_darkest(vec4 color) {
    if (color.a <= 0.0) {
        discard;
    }
    frag_color = vec4(color.rgb + (1.0 - color.a), color.a);
}

// @main@
