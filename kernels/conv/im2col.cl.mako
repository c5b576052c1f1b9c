## The columns of a convolution, pixel-major per image: output pixel m = oh*OW + ow is a row of K = C*KH*KW input
## values, k = (c, kh, kw) -> x[c][oh*SH + kh*DH - PT][ow*SW + kw*DW - PL] (zero outside the input), so that a
## strided convolution runs as the GEMM kernel over row-major A (see conv.py): each work-item of the GEMM then
## streams whole rows, where a K-major matrix gave it one cache line per k for a few floats.
## A work-item writes, for one (n, c, oh) and each of the row's OW pixels (PIX: for one pixel, as a GPU wants many
## work-items), the KH*KW consecutive values of channel c.
## params: KH, KW, SH, SW, DH, DW, PIX, ct (the C type elements are copied as: float, or ushort for f16 data,
## whose zero is 0 too). Sizes are int arguments: NR (work-items: N*C*OH, times OW with PIX), C, H, W, OH, OW,
## PT, PL.
__kernel void ${name}(${signature}) {
    const int r = get_global_id(0);
    if (r >= NR) return;
    const int KK = C * ${KH * KW};
% if PIX:
    const int j0 = r % OW, row = r / OW;
% else:
    const int row = r;
% endif
    const int oh = row % OH;
    const int c = (row / OH) % C;
    const int n = row / (OH * C);
    __global const ${ct} *plane = x + ((long)n * C + c) * H * W;
% if PIX:
    {
        const int j = j0;
        __global ${ct} *dst = out + ((long)n * OH * OW + (long)oh * OW + j) * KK + c * ${KH * KW};
% else:
    __global ${ct} *dst = out + ((long)n * OH * OW + (long)oh * OW) * KK + c * ${KH * KW};
    for (int j = 0; j < OW; ++j, dst += KK) {
% endif
% for kh in range(KH):
        {
            const int ih = oh * ${SH} + ${kh * DH} - PT;
            const bool row_in = ih >= 0 && ih < H;
            __global const ${ct} *src = plane + (long)(row_in ? ih : 0) * W;
    % for kw in range(KW):
            {
                const int iw = j * ${SW} + ${kw * DW} - PL;
                dst[${kh * KW + kw}] = (row_in && iw >= 0 && iw < W) ? src[iw >= 0 && iw < W ? iw : 0] : 0;
            }
    % endfor
        }
% endfor
    }
}
