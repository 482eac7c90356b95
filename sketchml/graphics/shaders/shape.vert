#version 330
// Six vertices per shape, computed in numpy (renderer.rows_to_vertices); this stage
// maps canvas pixels to clip space and unpacks the shape's colours once per vertex
// rather than once per pixel.

in vec2 i_pos;    // canvas pixels
in vec4 i_q;      // position in the shape's own frame; 0..1 texture coordinate for triangles;
                  // the four edge distances of a convex triangle/quad shape
in vec4 i_a;      // half width, half height, half stroke weight, local units per pixel
in uvec4 i_c;     // fill RGBA8, stroke RGBA8, corner radii (tl|tr, br|bl) as 16-bit fractions
in uint i_k;      // 0 circle, 1 rounded box, 2 solid triangle, 3 ellipse, 4 fringe triangle,
                  // 5 convex triangle/quad shape

uniform vec2 u_size;

out vec4 v_local;
flat out vec4 v_a;       // half width, half height, half stroke weight, canvas pixels per local unit
flat out vec4 v_fill;    // premultiplied
flat out vec4 v_stroke;  // premultiplied
flat out uvec3 v_r;      // radii tl|tr, br|bl, kind

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
    v_a = vec4(i_a.xyz, 1.0 / max(i_a.w, 1e-12));
    vec4 fill = unpack_rgba8(i_c.x);
    vec4 stroke = unpack_rgba8(i_c.y);
    v_fill = vec4(fill.rgb * fill.a, fill.a);
    v_stroke = vec4(stroke.rgb * stroke.a, stroke.a);
    v_r = uvec3(i_c.zw, i_k);
    vec2 tex_coord = i_k == 2u ? i_q.xy : (i_q.xy / max(i_a.xy, vec2(1e-6))) * 0.5 + 0.5;
#ifdef SK_TEXCOORD_VEC4
    vertTexCoord = vec4(tex_coord, 0.0, 1.0);
#else
    vertTexCoord = tex_coord;
#endif
    vertColor = fill;
}
