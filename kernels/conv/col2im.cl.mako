## Col2Im, N-D: one work-item per output element [N, C, img...] sums the columns whose window covers it.
## params: t, C, img, k, blocks, strides, dil, pb, n
<%
nd = len(img)
import math
sp = math.prod(img)
K = math.prod(k)
L = math.prod(blocks)
cc = cctype(t)
%>
__kernel void ${name}(__global const ${ctype(t)} *restrict x, __global ${ctype(t)} *restrict y) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    long r = gid;
% for d in reversed(range(nd)):
    const int o${d} = r % ${img[d]}; r /= ${img[d]};
% endfor
    const long nc = r;
    const long c = nc % ${C}, b = nc / ${C};
    __global const ${ctype(t)} *xb = x + (b * ${C} + c) * ${K * L};
    ${cc} acc = 0;
% for d in range(nd):
    for (int k${d} = 0; k${d} < ${k[d]}; ++k${d}) {
        const int p${d} = o${d} + ${pb[d]} - k${d} * ${dil[d]};
        if (p${d} < 0 || p${d} % ${strides[d]}) continue;
        const int q${d} = p${d} / ${strides[d]};
        if (q${d} >= ${blocks[d]}) continue;
% endfor
        const long kk = ${" + ".join(f"(long)k{d} * {math.prod(k[d + 1:])}" for d in range(nd))};
        const long l = ${" + ".join(f"(long)q{d} * {math.prod(blocks[d + 1:])}" for d in range(nd))};
        const long off = kk * ${L} + l;
        acc += ${load(t, "xb", "off")};
% for d in range(nd):
    }
% endfor
    ${store(t, "y", "gid", "acc")}
}
