## Matrix product, one work-item per output element: the fallback for types the tiled kernel does not take
## (integers, f64) and for tiny products. Same epilogue contract as tiled.cl.mako.
## params: a_t, b_t, out_t, acc (C accumulator type), M, N, K, a_rs, a_ks, b_ks, b_ns, total,
##   batch_code (sets long aoff, boff from bz), bias_t, res_t, act; the arguments: naive.py
__kernel void ${name}(${signature}) {
    const long gid = get_global_id(0);
    if (gid >= ${total}) return;
    const int n = (int)(gid % ${N});
    const long t = gid / ${N};
    const int m = (int)(t % ${M});
    const long bz = t / ${M};
    long aoff = 0, boff = 0, coff = 0;
    ${batch_code}
    ${acc} s = (${acc})0;
    for (int k = 0; k < ${K}; ++k)
        s += (${acc})${load(a_t, "A", "aoff + (long)m * %d + (long)k * %d" % (a_rs, a_ks))}
           * (${acc})${load(b_t, "B", "boff + (long)k * %d + (long)n * %d" % (b_ks, b_ns))};
    ${cctype(out_t)} a0 = (${cctype(out_t)})s;
% if bias_t is not None:
    a0 += ${load(bias_t, "bias", "n")};
% endif
% if res_t is not None:
    a0 += ${load(res_t, "res", "gid")};
% endif
% if act is not None:
    a0 = ${act};
% endif
    ${store(out_t, "C", "gid", "a0")}
}
