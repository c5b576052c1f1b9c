## GridSample, N-D: one work-item per output element [N, C, o...]; D spatial dims, K taps per dim
## (1 nearest, 2 linear, 4 cubic). Grid coordinates come in reverse dimension order (x first).
## params: xt, gt, yt, F (compute type), C, dims, osp (output spatial size), n, align, mode, pad
<%
D = len(dims)
K = {"nearest": 1, "bilinear": 2, "bicubic": 4}[mode]
strides = []
acc = 1
for L in reversed(dims):
    strides.insert(0, acc)
    acc *= L
sp = acc
def L(v):
    return f"(({F}){v!r})"
%>
static ${F} ${name}_reflect(${F} v, ${F} lo, ${F} hi) {
    const ${F} rng = hi - lo;
    if (rng <= (${F})0) return lo;
    if (v < lo) {
        const ${F} dx = lo - v;
        const ${F} k = floor(dx / rng);
        const ${F} r = dx - k * rng;
        return (fmod(k, (${F})2) == (${F})0) ? lo + r : hi - r;
    }
    if (v > hi) {
        const ${F} dx = v - hi;
        const ${F} k = floor(dx / rng);
        const ${F} r = dx - k * rng;
        return (fmod(k, (${F})2) == (${F})0) ? hi - r : lo + r;
    }
    return v;
}

__kernel void ${name}(__global const ${ctype(xt)} *restrict x, __global const ${ctype(gt)} *restrict grid,
                      __global ${ctype(yt)} *restrict y) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    const long s = gid % ${osp};
    const long nc = gid / ${osp};
    const long b = nc / ${C};
    const long gbase = (b * ${osp} + s) * ${D};
    const long xbase = nc * ${sp};
% for d in range(D):
    int i${d}[${K}]; ${F} w${d}[${K}]; int ok${d}[${K}];
    {
        const ${F} g = (${F})(${load(gt, "grid", f"gbase + {D - 1 - d}")});
        const ${F} lo = ${L(0.0 if align else -0.5)}, hi = ${L(dims[d] - 1.0 if align else dims[d] - 0.5)};
  % if align:
        ${F} v = (g + ${L(1.0)}) * ${L(0.5 * (dims[d] - 1))};
  % else:
        ${F} v = ((g + ${L(1.0)}) * ${L(float(dims[d]))} - ${L(1.0)}) * ${L(0.5)};
  % endif
  % if mode == "nearest":
        v = rint(v);
  % endif
  % if pad == "border":
        if (v < lo || v > hi) v = fmin(fmax(v, ${L(0.0)}), ${L(dims[d] - 1.0)});
  % elif pad == "reflection":
        v = ${name}_reflect(v, lo, hi);
  % endif
  % if mode == "nearest":
        int t[1] = {(int)v};
        w${d}[0] = ${L(1.0)};
  % else:
        const ${F} f = floor(v);
        const ${F} u = v - f;
        const int f0 = (int)f;
    % if mode == "bilinear":
        int t[2] = {f0, f0 + 1};
        w${d}[0] = ${L(1.0)} - u; w${d}[1] = u;
    % else:
        int t[4] = {f0 - 1, f0, f0 + 1, f0 + 2};
        {
            const ${F} A = ${L(-0.75)};
            const ${F} a0 = u + ${L(1.0)}, a1 = u, a2 = ${L(1.0)} - u, a3 = ${L(2.0)} - u;
            w${d}[0] = ((A * a0 - ${L(5.0)} * A) * a0 + ${L(8.0)} * A) * a0 - ${L(4.0)} * A;
            w${d}[1] = ((A + ${L(2.0)}) * a1 - (A + ${L(3.0)})) * a1 * a1 + ${L(1.0)};
            w${d}[2] = ((A + ${L(2.0)}) * a2 - (A + ${L(3.0)})) * a2 * a2 + ${L(1.0)};
            w${d}[3] = ((A * a3 - ${L(5.0)} * A) * a3 + ${L(8.0)} * A) * a3 - ${L(4.0)} * A;
        }
    % endif
  % endif
        for (int k = 0; k < ${K}; ++k) {
            int i = t[k];
  % if pad == "zeros":
            ok${d}[k] = (i >= 0 && i < ${dims[d]});
            i = ok${d}[k] ? i : 0;
  % elif pad == "border":
            ok${d}[k] = 1;
            i = clamp(i, 0, ${dims[d] - 1});
  % else:
            ok${d}[k] = 1;
            i = (int)${name}_reflect((${F})i, lo, hi);
            i = clamp(i, 0, ${dims[d] - 1});
  % endif
            i${d}[k] = i;
        }
    }
% endfor
    ${F} acc = ${L(0.0)};
% for d in range(D):
    for (int k${d} = 0; k${d} < ${K}; ++k${d}) {
% endfor
        if (${" && ".join(f"ok{d}[k{d}]" for d in range(D))}) {
            const long off = xbase ${"".join(f" + (long)i{d}[k{d}] * {strides[d]}" for d in range(D))};
            acc += ${" * ".join(f"w{d}[k{d}]" for d in range(D))} * (${F})(${load(xt, "x", "off")});
        }
% for d in range(D):
    }
% endfor
    ${store(yt, "y", "gid", "acc")}
}
