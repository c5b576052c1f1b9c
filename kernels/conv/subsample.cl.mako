## Every S-th row and column of each [H, W] plane: a strided 1x1 convolution's input, made contiguous so the
## convolution runs as a GEMM (see conv.py). A work-item writes one destination row (N*C*OH rows of OW).
## params: SH, SW (strides), ct (the C type elements are copied as: float, or ushort for f16 data). Sizes are int
## arguments: NR (rows), H, W, OH, OW.
__kernel void ${name}(${signature}) {
    const int r = get_global_id(0);
    if (r >= NR) return;
    const int oh = r % OH;
    const long nc = r / OH;
    __global const ${ct} *src = x + (nc * H + (long)oh * ${SH}) * W;
    __global ${ct} *dst = out + (long)r * OW;
    for (int j = 0; j < OW; ++j)
        dst[j] = src[j * ${SW}];
}
