## ROIPooling (max): one work-item per output element [R, C, PH, PW].
## params: t, rt, C, H, W, PH, PW, scale, n
<% F = "double" if t.name == "f64" or rt.name == "f64" else "float" %>
__kernel void ${name}(__global const ${ctype(t)} *restrict x, __global const ${ctype(rt)} *restrict rois,
                      __global ${ctype(t)} *restrict y) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    const int pw = gid % ${PW};
    const int ph = (gid / ${PW}) % ${PH};
    const int c = (gid / ${PW * PH}) % ${C};
    const long r = gid / ${PW * PH * C};
    __global const ${ctype(rt)} *roi = rois + r * 5;
    const int b = (int)(${load(rt, "roi", "0")});
    const int sw = (int)round((${F})(${load(rt, "roi", "1")}) * (${F})${repr(scale)});
    const int sh = (int)round((${F})(${load(rt, "roi", "2")}) * (${F})${repr(scale)});
    const int ew = (int)round((${F})(${load(rt, "roi", "3")}) * (${F})${repr(scale)});
    const int eh = (int)round((${F})(${load(rt, "roi", "4")}) * (${F})${repr(scale)});
    const ${F} bh = (${F})max(eh - sh + 1, 1) / (${F})${PH}, bw = (${F})max(ew - sw + 1, 1) / (${F})${PW};
    const int h0 = min(max((int)floor(ph * bh) + sh, 0), ${H}), h1 = min(max((int)ceil((ph + 1) * bh) + sh, 0), ${H});
    const int w0 = min(max((int)floor(pw * bw) + sw, 0), ${W}), w1 = min(max((int)ceil((pw + 1) * bw) + sw, 0), ${W});
    __global const ${ctype(t)} *img = x + ((long)b * ${C} + c) * ${H * W};
    ${F} m = 0;
    if (h1 > h0 && w1 > w0) {
        m = -INFINITY;
        for (int i = h0; i < h1; ++i)
            for (int j = w0; j < w1; ++j) m = fmax(m, (${F})(${load(t, "img", f"i * {W} + j")}));
    }
    ${store(t, "y", "gid", "m")}
}
