#version 330
// Six vertices per shape, computed in numpy (renderer.rows_to_vertices); this stage
// only maps canvas pixels to clip space and hands the shape's data on.

in vec2 i_pos;    // canvas pixels
in vec2 i_q;      // position in the shape's own frame; 0..1 texture coordinate for triangles
in vec4 i_a;      // half width, half height, half stroke weight, local units per pixel
in uvec4 i_c;     // fill RGBA8, stroke RGBA8, corner radii (tl|tr, br|bl) as 16-bit fractions
in uint i_k;      // 0 ellipse, 1 rounded box, 2 solid triangle

uniform vec2 u_size;

out vec2 v_local;
flat out vec4 v_a;
flat out uvec4 v_c;
flat out uint v_k;

// Inputs of user shaders: 0..1 over the shape's bounding box, and the fill colour.
// Processing shaders declare vertTexCoord as a vec4; shader.py defines SK_TEXCOORD_VEC4 for them.
#ifdef SK_TEXCOORD_VEC4
out vec4 vertTexCoord;
#else
out vec2 vertTexCoord;
#endif
out vec4 vertColor;

vec4 unpack_rgba8(uint c) {
    return vec4(float(c & 255u), float((c >> 8) & 255u), float((c >> 16) & 255u), float(c >> 24)) / 255.0;
}

void main() {
    gl_Position = vec4(i_pos / u_size * 2.0 - 1.0, 0.0, 1.0);
    v_local = i_q;
    v_a = i_a;
    v_c = i_c;
    v_k = i_k;
    vec2 tex_coord = i_k == 2u ? i_q : (i_q / max(i_a.xy, vec2(1e-6))) * 0.5 + 0.5;
#ifdef SK_TEXCOORD_VEC4
    vertTexCoord = vec4(tex_coord, 0.0, 1.0);
#else
    vertTexCoord = tex_coord;
#endif
    vertColor = unpack_rgba8(i_c.x);
}
