#version 330
// One instance per shape; gl_VertexID 0..3 walks the corners of a triangle strip.
// See sketchml/graphics/renderer.py for the instance row layout.

in float i_kind;
in vec4 i_p0;
in vec4 i_p1;
in vec4 i_fill;
in vec4 i_stroke;
in float i_weight;
in vec3 i_m0;
in vec3 i_m1;
in vec4 i_box;

uniform vec2 u_size;

out vec2 v_local;            // position in the shape's own frame, centred
// Inputs of user shaders: 0..1 over the shape's bounding box, and the fill colour.
// Processing shaders declare vertTexCoord as a vec4; shader.py defines SK_TEXCOORD_VEC4 for them.
#ifdef SK_TEXCOORD_VEC4
out vec4 vertTexCoord;
#else
out vec2 vertTexCoord;
#endif
out vec4 vertColor;
flat out int v_shape;        // 0 ellipse, 1 rounded box, 2 solid
flat out vec2 v_half;
flat out vec4 v_radii;
flat out vec4 v_fill;
flat out vec4 v_stroke;
flat out float v_hw;
flat out float v_aa;

const int CAP_SQUARE = 1;
const int CAP_ROUND = 2;

void main() {
    mat2 L = mat2(i_m0.x, i_m1.x, i_m0.y, i_m1.y);
    vec2 T = vec2(i_m0.z, i_m1.z);
    float det = abs(determinant(L));
    // Local units per canvas pixel: the geometric mean sets the anti-aliasing width,
    // the largest singular value of the inverse says how far to grow the quad so
    // that it covers one more canvas pixel in every direction.
    float aa = inversesqrt(max(det, 1e-12));
    mat2 Li = mat2(L[1][1], -L[0][1], -L[1][0], L[0][0]) / max(det, 1e-12);
    float s = dot(Li[0], Li[0]) + dot(Li[1], Li[1]);
    float inv_det = 1.0 / max(det, 1e-12);
    float grow = sqrt(0.5 * (s + sqrt(max(s * s - 4.0 * inv_det * inv_det, 0.0))));

    int kind = int(i_kind + 0.5);
    int corner = gl_VertexID;
    vec2 unit = vec2(float(corner & 1), float(corner >> 1)) * 2.0 - 1.0;

    vec4 fill = i_fill;
    vec4 stroke = i_stroke;
    float w = i_weight;
    vec2 center = vec2(0.0);
    vec2 half_size = vec2(0.0);
    vec2 axis = vec2(1.0, 0.0);
    vec4 radii = vec4(0.0);
    int shape = 1;
    vec2 local;
    vec2 q;

    if (kind == 4) {
        // A solid triangle; the fourth corner repeats the third (degenerate).
        local = corner == 0 ? i_p0.xy : corner == 1 ? i_p0.zw : i_p1.xy;
        q = local;
        shape = 2;
    } else {
        if (kind == 0) {
            center = i_p0.xy;
            half_size = abs(i_p0.zw);
            shape = 0;
        } else if (kind == 1) {
            center = i_p0.xy;
            half_size = abs(i_p0.zw);
            radii = i_p1;
        } else if (kind == 2) {
            vec2 d = i_p0.zw - i_p0.xy;
            float len = length(d);
            axis = len > 0.0 ? d / len : vec2(1.0, 0.0);
            center = 0.5 * (i_p0.xy + i_p0.zw);
            int cap = int(i_p1.x + 0.5);
            float hw = 0.5 * w;
            half_size = vec2(0.5 * len + (cap == CAP_SQUARE ? 0.0 : hw), hw);
            radii = vec4(cap == CAP_ROUND ? hw : 0.0);
            fill = stroke;
            stroke = vec4(0.0);
            w = 0.0;
        } else {
            center = i_p0.xy;
            half_size = vec2(0.5 * w);
            shape = int(i_p0.z + 0.5) == CAP_SQUARE ? 1 : 0;
            fill = stroke;
            stroke = vec4(0.0);
            w = 0.0;
        }
        vec2 extent = half_size + vec2(0.5 * w + grow);
        q = unit * extent;
        local = center + axis * q.x + vec2(-axis.y, axis.x) * q.y;
    }

    vec2 pixel = L * local + T;
    gl_Position = vec4(pixel / u_size * 2.0 - 1.0, 0.0, 1.0);
    v_local = q;
    vec2 box_size = max(abs(i_box.zw), vec2(1e-6));
    vec2 tex_coord = kind == 4 ? (local - i_box.xy) / box_size
                               : (q / max(half_size, vec2(1e-6))) * 0.5 + 0.5;
#ifdef SK_TEXCOORD_VEC4
    vertTexCoord = vec4(tex_coord, 0.0, 1.0);
#else
    vertTexCoord = tex_coord;
#endif
    vertColor = fill;
    v_shape = shape;
    v_half = half_size;
    v_radii = radii;
    v_fill = fill;
    v_stroke = stroke;
    v_hw = 0.5 * w;
    v_aa = aa;
}
