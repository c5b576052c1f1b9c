## ROIAlign: one work-item per output element [R, C, PH, PW]; sampling grid per bin (fixed ratio or adaptive).
## params: t, rt (rois type), bt (batch index type), C, H, W, PH, PW, scale, ratio, half, maxmode, n
<% F = "double" if t.name == "f64" else "float" %>
__kernel void ${name}(__global const ${ctype(t)} *restrict x, __global const ${ctype(rt)} *restrict rois,
                      __global const ${ctype(bt)} *restrict bidx, __global ${ctype(t)} *restrict y) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    const int pw = gid % ${PW};
    const int ph = (gid / ${PW}) % ${PH};
    const int c = (gid / ${PW * PH}) % ${C};
    const long r = gid / ${PW * PH * C};
    const ${F} off = ${"0.5" if half else "0.0"};
    const ${F} x0 = (${F})(${load(rt, "rois", "r * 4")}) * (${F})${repr(scale)} - off;
    const ${F} y0 = (${F})(${load(rt, "rois", "r * 4 + 1")}) * (${F})${repr(scale)} - off;
    const ${F} x1 = (${F})(${load(rt, "rois", "r * 4 + 2")}) * (${F})${repr(scale)} - off;
    const ${F} y1 = (${F})(${load(rt, "rois", "r * 4 + 3")}) * (${F})${repr(scale)} - off;
    ${F} rw = x1 - x0, rh = y1 - y0;
% if not half:
    rw = fmax(rw, (${F})1); rh = fmax(rh, (${F})1);
% endif
    const ${F} bh = rh / ${PH}, bw = rw / ${PW};
% if ratio > 0:
    const int gh = ${ratio}, gw = ${ratio};
% else:
    const int gh = (int)ceil(rh / ${PH}), gw = (int)ceil(rw / ${PW});
% endif
    __global const ${ctype(t)} *img = x + ((long)bidx[r] * ${C} + c) * ${H * W};
    ${F} acc = 0;
    int first = 1;
    for (int iy = 0; iy < gh; ++iy) {
        const ${F} yy = y0 + ph * bh + ((${F})iy + (${F})0.5) * bh / gh;
        for (int ix = 0; ix < gw; ++ix) {
            const ${F} xx = x0 + pw * bw + ((${F})ix + (${F})0.5) * bw / gw;
            ${F} v1 = 0, v2 = 0, v3 = 0, v4 = 0;
            if (!(yy < (${F})-1 || yy > (${F})${H} || xx < (${F})-1 || xx > (${F})${W})) {
                ${F} ys = fmax(yy, (${F})0), xs = fmax(xx, (${F})0);
                int yl = (int)ys, xl = (int)xs, yh, xh;
                if (yl >= ${H - 1}) { yh = yl = ${H - 1}; ys = (${F})yl; } else yh = yl + 1;
                if (xl >= ${W - 1}) { xh = xl = ${W - 1}; xs = (${F})xl; } else xh = xl + 1;
                const ${F} ly = ys - yl, lx = xs - xl, hy = 1 - ly, hx = 1 - lx;
                v1 = hy * hx * (${F})(${load(t, "img", f"yl * {W} + xl")});
                v2 = hy * lx * (${F})(${load(t, "img", f"yl * {W} + xh")});
                v3 = ly * hx * (${F})(${load(t, "img", f"yh * {W} + xl")});
                v4 = ly * lx * (${F})(${load(t, "img", f"yh * {W} + xh")});
            }
% if maxmode:
            const ${F} m = fmax(fmax(v1, v2), fmax(v3, v4));
            acc = first ? m : fmax(acc, m);
            first = 0;
% else:
            acc += v1 + v2 + v3 + v4;
% endif
        }
    }
% if not maxmode:
    acc /= (${F})max(gh * gw, 1);
% endif
    ${store(t, "y", "gid", "acc")}
}
