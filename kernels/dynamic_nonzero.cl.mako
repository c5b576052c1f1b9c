## NonZero in bounded form: the coordinates of non-zero elements, in row-major order, into out[rank, n]
## (n = element count, the upper bound), and how many there are into count[0]. One work-group: each
## work-item counts a contiguous chunk, an exclusive prefix over the chunks gives each its first slot.
## params: in_t, out_t, shape, n, wg
__kernel void ${name}(__global const ${ctype(in_t)} *restrict x, __global ${ctype(out_t)} *restrict out,
                      __global long *restrict count, __local int *part) {
    const int lid = get_local_id(0);
    const int chunk = (${n} + ${wg} - 1) / ${wg};
    const int lo = min(lid * chunk, ${n});
    const int hi = min(lo + chunk, ${n});
    int c = 0;
    for (int i = lo; i < hi; ++i) c += (${load(in_t, "x", "i")} != 0);
    part[lid] = c;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        int acc = 0;
        for (int k = 0; k < ${wg}; ++k) { const int v = part[k]; part[k] = acc; acc += v; }
        count[0] = acc;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int pos = part[lid];
    for (int i = lo; i < hi; ++i) {
        if (${load(in_t, "x", "i")} != 0) {
            int rem = i;
% for d in reversed(range(len(shape))):
            out[${d} * ${n} + pos] = (${ctype(out_t)})(rem % ${shape[d]}); rem /= ${shape[d]};
% endfor
            ++pos;
        }
    }
}
