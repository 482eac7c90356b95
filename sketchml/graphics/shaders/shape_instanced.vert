#version 330
// shape.vert for batches of ellipses, rectangles, lines and points drawn as instances:
// one record per shape (renderer._shape_instances), its quad's six corners made here.

in vec2 i_p;      // quad centre, canvas pixels
in vec2 i_u;      // quad half-axes, canvas pixels: corner = i_p + sx i_u + sy i_v
in vec2 i_v;
in vec2 i_e;      // half-extents in the shape's own frame
in vec4 i_a;      // half width, half height, half stroke weight, local units per pixel
in uvec4 i_c;     // fill RGBA8, stroke RGBA8, corner radii (tl|tr, br|bl) as 16-bit fractions
in uint i_k;      // 0 circle, 1 rounded box, 3 ellipse

uniform vec2 u_size;

out vec4 v_local;
flat out vec4 v_a;
flat out vec4 v_fill;
flat out vec4 v_stroke;
flat out uvec3 v_r;

const vec2 CORNERS[6] = vec2[6](
    vec2(-1.0, -1.0), vec2(1.0, -1.0), vec2(-1.0, 1.0),
    vec2(-1.0, 1.0), vec2(1.0, -1.0), vec2(1.0, 1.0)
);

vec4 unpack_rgba8(uint c) {
    return vec4(float(c & 255u), float((c >> 8) & 255u), float((c >> 16) & 255u), float(c >> 24)) / 255.0;
}

void main() {
    vec2 s = CORNERS[gl_VertexID];
    gl_Position = vec4((i_p + s.x * i_u + s.y * i_v) / u_size * 2.0 - 1.0, 0.0, 1.0);
    v_local = vec4(s * i_e, 0.0, 0.0);
    v_a = vec4(i_a.xyz, 1.0 / max(i_a.w, 1e-12));
    vec4 fill = unpack_rgba8(i_c.x);
    vec4 stroke = unpack_rgba8(i_c.y);
    v_fill = vec4(fill.rgb * fill.a, fill.a);
    v_stroke = vec4(stroke.rgb * stroke.a, stroke.a);
    v_r = uvec3(i_c.zw, i_k);
}
