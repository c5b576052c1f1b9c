## Packs B (any batch, either orientation) into the panel layout of matmul.cl.mako, zero padded:
## Bp[bb][p][k][j] = B[bb][k][p * TN + j]. One work-item per packed element.
## params: b_t, TN, Kp, P, K, N, total, b_ks, b_ns (B strides of k and n), bstride (B batch stride)
__kernel void ${name}(__global const ${ctype(b_t)} *restrict B, __global float *restrict Bp) {
    const long gid = get_global_id(0);
    if (gid >= ${total}) return;
    const int j = (int)(gid % ${TN});
    long rem = gid / ${TN};
    const int k = (int)(rem % ${Kp});
    rem /= ${Kp};
    const int p = (int)(rem % ${P});
    const long bb = rem / ${P};
    const int n = p * ${TN} + j;
    float v = 0.0f;
    if (k < ${K} && n < ${N}) v = ${load(b_t, "B", "bb * %d + (long)k * %d + (long)n * %d" % (bstride, b_ks, b_ns))};
    Bp[gid] = v;
}
