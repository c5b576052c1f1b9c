## The columns of a convolution, pixel-major per image: output pixel m = oh*OW + ow is a row of K = C*KH*KW input
## values, k = (c, kh, kw) -> x[c][oh*SH + kh*DH - PT][ow*SW + kw*DW - PL] (zero outside the input), so that a
## strided convolution runs as the GEMM kernel over row-major A (see conv.py): each work-item of the GEMM then
## streams whole rows, where a K-major matrix gave it one cache line per k for a few floats.
## A work-item writes, for one (n, oh, block of CB channels) and each of the row's OW pixels (PIX: for one pixel,
## as a GPU wants many work-items), the CB*KH*KW consecutive values of its channels: a run of several cache lines
## (conv.py's IM2COL_RUN), where one channel's KH*KW values left each line to several work-items (1x1 layers,
## KH*KW = 1: 2-4x slower). Pixels whose window lies inside the input columns copy without checks.
## params: KH, KW, SH, SW, DH, DW, CB, PIX, ct (the C type elements are copied as: float, or ushort for f16
## data, whose zero is 0 too). Sizes are int arguments: NR (work-items: N*ceil(C/CB)*OH, times OW with PIX), C,
## H, W, OH, OW, PT, PL.
__kernel void ${name}(${signature}) {
    const int r = get_global_id(0);
    if (r >= NR) return;
    const int KK = C * ${KH * KW};
    const int NCB = (C + ${CB - 1}) / ${CB};
% if PIX:
    const int j0 = r % OW, row = r / OW;
% else:
    const int row = r;
% endif
    const int oh = row % OH;
    const int c0 = ((row / OH) % NCB) * ${CB};
    const int c1 = min(c0 + ${CB}, C);
    const int n = row / (NCB * OH);
    __global const ${ct} *image = x + (long)n * C * H * W;
    // the pixels [jlo, jhi) read columns 0 <= iw < W only
    const int last = W - 1 - ${(KW - 1) * DW} + PL;      // the largest window start inside: j * SW - PL <= it
    const int jlo = min(OW, (PL + ${SW - 1}) / ${SW});
    const int jhi = last < 0 ? jlo : max(jlo, min(OW, last / ${SW} + 1));
% if PIX:
    {
        const int j = j0;
        __global ${ct} *dst = out + ((long)n * OH * OW + (long)oh * OW + j) * KK + c0 * ${KH * KW};
% else:
    __global ${ct} *dst = out + ((long)n * OH * OW + (long)oh * OW) * KK + c0 * ${KH * KW};
    for (int j = 0; j < OW; ++j, dst += KK) {
% endif
        __global ${ct} *d = dst;
        if (j >= jlo && j < jhi) {
            for (int c = c0; c < c1; ++c, d += ${KH * KW}) {
                __global const ${ct} *plane = image + (long)c * H * W;
% for kh in range(KH):
                {
                    const int ih = oh * ${SH} + ${kh * DH} - PT;
                    const bool row_in = ih >= 0 && ih < H;
                    __global const ${ct} *src = plane + (long)(row_in ? ih : 0) * W;
    % for kw in range(KW):
                    d[${kh * KW + kw}] = row_in ? src[j * ${SW} + ${kw * DW} - PL] : 0;
    % endfor
                }
% endfor
            }
        } else {        // a border pixel: loops, not unrolled (a 7x7 window twice took PoCL 0.5 s to compile)
            for (int c = c0; c < c1; ++c) {
                __global const ${ct} *plane = image + (long)c * H * W;
                for (int kh = 0; kh < ${KH}; ++kh) {
                    const int ih = oh * ${SH} + kh * ${DH} - PT;
                    for (int kw = 0; kw < ${KW}; ++kw, ++d) {
                        const int iw = j * ${SW} + kw * ${DW} - PL;
                        *d = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? plane[(long)ih * W + iw] : 0;
                    }
                }
            }
        }
    }
}
