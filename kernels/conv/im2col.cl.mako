## The columns of a convolution as a K-major matrix per image: row k = (c, kh, kw) of [OH * OW] input values
## x[c][oh*SH + kh*DH - PT][ow*SW + kw*DW - PL] (zero outside the input), so that a strided convolution runs as
## the GEMM kernel (see conv.py). A work-item writes one output row oh of one k: N*K*OH rows of OW.
## params: KH, KW, SH, SW, DH, DW, ct (the C type elements are copied as: float, or ushort for f16 data, whose
## zero is 0 too). Sizes are int arguments: NR (rows), C, H, W, OH, OW, PT, PL.
__kernel void ${name}(${signature}) {
    const int r = get_global_id(0);
    if (r >= NR) return;
    const int oh = r % OH;
    const int k = (r / OH) % (C * ${KH * KW});
    const int n = r / (OH * C * ${KH * KW});
    const int c = k / ${KH * KW}, kh = (k / ${KW}) % ${KH}, kw = k % ${KW};
    const int ih = oh * ${SH} + kh * ${DH} - PT;
    __global ${ct} *dst = out + (long)r * OW;
    if (ih < 0 || ih >= H) {
        for (int j = 0; j < OW; ++j) dst[j] = 0;
        return;
    }
    __global const ${ct} *src = x + (((long)n * C + c) * H + ih) * W;
    for (int j = 0; j < OW; ++j) {
        const int iw = j * ${SW} + kw * ${DW} - PL;
        dst[j] = (iw >= 0 && iw < W) ? src[iw >= 0 && iw < W ? iw : 0] : 0;
    }
}
