## Packs B (any batch, either orientation) into the panel layout of tiled.cl.mako, zero padded:
## Bp[bb][p][k][j] = B[bb][k][p * TN + j]. Work-item (j, k, bb * P + p), no divisions but one.
## params: b_t, TN, Kp, P, K, N, b_ks, b_ns (B strides of k and n), bstride (B batch stride)
__kernel void ${name}(${signature}) {
    const int j = get_global_id(0);
    const int k = get_global_id(1);
    const int z = get_global_id(2);
    if (k >= ${Kp}) return;
    const int p = z % ${P};
    const long bb = z / ${P};
    const int n = p * ${TN} + j;
    float v = 0.0f;
    if (k < ${K} && n < ${N}) v = ${load(b_t, "B", "bb * %d + (long)k * %d + (long)n * %d" % (bstride, b_ks, b_ns))};
    Bp[((long)z * ${Kp} + k) * ${TN} + j] = v;
}
