## DeformableConvolution (2-D): one work-item per output element [N, Co, OH, OW]; each tap samples the input
## bilinearly at its offset position (corners outside read zero), times the mask when there is one.
## params: t, N, Ci, H, W, Co, Cg, kh, kw, OH, OW, group, dg, sh, sw, ph, pw, dh, dw, has_mask, n
<%
F = "double" if t.name == "f64" else "float"
%>
__kernel void ${name}(__global const ${ctype(t)} *restrict x, __global const ${ctype(t)} *restrict off,
                      __global const ${ctype(t)} *restrict w,
% if has_mask:
                      __global const ${ctype(t)} *restrict mask,
% endif
                      __global ${ctype(t)} *restrict y) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    const int ow = gid % ${OW};
    const int oh = (gid / ${OW}) % ${OH};
    const int co = (gid / ${OW * OH}) % ${Co};
    const int b = gid / ${OW * OH * Co};
    const int grp = co / ${Co // group};
    ${F} acc = 0;
    for (int cg = 0; cg < ${Cg}; ++cg) {
        const int ci = grp * ${Cg} + cg;
        const int og = ci / ${Ci // dg};
        __global const ${ctype(t)} *img = x + ((long)b * ${Ci} + ci) * ${H * W};
        for (int i = 0; i < ${kh}; ++i) {
            for (int j = 0; j < ${kw}; ++j) {
                const long ob = ((((long)b * ${dg} + og) * ${kh} + i) * ${kw} + j) * 2;
                const ${F} py = (${F})(oh * ${sh} - ${ph} + i * ${dh}) + (${F})(${load(t, "off", f"(ob * {OH} + oh) * {OW} + ow")});
                const ${F} px = (${F})(ow * ${sw} - ${pw} + j * ${dw}) + (${F})(${load(t, "off", f"((ob + 1) * {OH} + oh) * {OW} + ow")});
                const ${F} fy = floor(py), fx = floor(px);
                const int y0 = (int)fy, x0 = (int)fx;
                const ${F} ly = py - fy, lx = px - fx;
                ${F} v = 0;
                if (y0 >= 0 && y0 < ${H} && x0 >= 0 && x0 < ${W}) v += (1 - ly) * (1 - lx) * (${F})(${load(t, "img", f"y0 * {W} + x0")});
                if (y0 >= 0 && y0 < ${H} && x0 + 1 >= 0 && x0 + 1 < ${W}) v += (1 - ly) * lx * (${F})(${load(t, "img", f"y0 * {W} + x0 + 1")});
                if (y0 + 1 >= 0 && y0 + 1 < ${H} && x0 >= 0 && x0 < ${W}) v += ly * (1 - lx) * (${F})(${load(t, "img", f"(y0 + 1) * {W} + x0")});
                if (y0 + 1 >= 0 && y0 + 1 < ${H} && x0 + 1 >= 0 && x0 + 1 < ${W}) v += ly * lx * (${F})(${load(t, "img", f"(y0 + 1) * {W} + x0 + 1")});
% if has_mask:
                v *= (${F})(${load(t, "mask", f"((((long)b * {dg} + og) * {kh} + i) * {kw} + j) * {OH * OW} + oh * {OW} + ow")});
% endif
                acc += v * (${F})(${load(t, "w", f"(((long)co * {Cg} + cg) * {kh} + i) * {kw} + j")});
            }
        }
    }
    ${store(t, "y", "gid", "acc")}
}
