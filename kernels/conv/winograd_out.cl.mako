## Winograd F(2x2, 3x3) output transform (spec: winograd.py beside this file; lowering: ovcl/lowering/winograd.py): the 16 GEMM results
## M[xi][t][oc] of tile t become the 2x2 outputs A^T m A at (n, oc, 2*th + i, 2*tw + j), plus the epilogue
## (+ bias[oc], + residual, activation over a0); pixels past the output's edge are not stored.
## A work-item transforms one tile for 8 consecutive output channels, as float8 vectors across them (M's rows
## hold a tile's channels side by side: 16 vector loads), applies the bias and activation to the vectors, and
## stores each channel's two output rows as pairs of pixels. One channel a work-item (16 scalar loads, 4 scalar
## stores) ran at ~10 GB/s: Inception-v1's 56x56 layer of 192 channels took 1.2 ms.
## params: signature (declared by winograd.py beside this file), ot (the output's Type: f32, or f16 stored
## half), bt, rt (the bias's and residual's Types, None without them), act (str|None), vec_act (act valid on
## float8), one_image (N == 1). Sizes are int arguments.
__kernel void ${name}(${signature}) {
    const int oc0 = get_global_id(0) * 8;
    const int tw = get_global_id(1);
    const int r = get_global_id(2);                 // n * TH + th
    if (oc0 >= OC || tw >= TW) return;
    const int t = r * TW + tw;
% if one_image:
    const int th = r, n = 0;                        // (integer divisions cost as much as this kernel's math)
% else:
    const int th = r % TH, n = r / TH;
% endif
    const long XI = (long)T * OC;
    __global const float *mp = M + (long)t * OC + oc0;
    const int nq = OC - oc0 < 8 ? OC - oc0 : 8;    // channels of this block
    ## m.v[xi]: the 8 channels' values of matrix xi; a partial block loads its channels one by one (the lanes
    ## after them would be the next tile's, or past the end of M)
    union { float8 v[16]; float s[16][8]; } m;
    if (nq == 8) {
% for xi in range(16):
        m.v[${xi}] = ${vload_u("float", 8, "(mp + %d * XI)" % xi)};
% endfor
    } else {
        for (int xi = 0; xi < 16; ++xi)
            for (int q = 0; q < 8; ++q)
                m.s[xi][q] = q < nq ? mp[xi * XI + q] : 0.0f;
    }
    // A^T m A: rows (s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 over the patch's rows), then columns
% for j in range(4):
    const float8 s0_${j} = m.v[${j}] + m.v[${4 + j}] + m.v[${8 + j}];
    const float8 s1_${j} = m.v[${4 + j}] - m.v[${8 + j}] - m.v[${12 + j}];
% endfor
    ## y.v[2i + j]: output pixel (i, j) of the tile for the 8 channels
    union { float8 v[4]; float s[4][8]; } y;
% for i in range(2):
    y.v[${2 * i}] = s${i}_0 + s${i}_1 + s${i}_2;
    y.v[${2 * i + 1}] = s${i}_1 - s${i}_2 - s${i}_3;
% endfor
    const int oh0 = 2 * th, ow0 = 2 * tw;
    const long OP = (long)OH * OW;
    const long base = ((long)n * OC + oc0) * OP + (long)oh0 * OW + ow0;
% if bt:
    union { float8 v; float s[8]; } b;
    b.v = (float8)(0.0f);
    for (int q = 0; q < nq; ++q) b.s[q] = ${load(bt, "bias", "oc0 + q")};
% endif
% if rt:
    ## the residual, per pixel (i, j) across the channels (zero where the pixel is past the edge)
    % for p in range(4):
    if (oh0 + ${p // 2} < OH && ow0 + ${p % 2} < OW)
        for (int q = 0; q < nq; ++q) y.s[${p}][q] += ${load(rt, "res", "base + q * OP + %s%d" % ("OW + " if p // 2 else "", p % 2))};
    % endfor
% endif
% for p in range(4):
    {
        float8 a0 = y.v[${p}]${" + b.v" if bt else ""};
    % if act and vec_act:
        a0 = ${vector_math(act, 8)};
    % elif act:
        union { float8 v; float s[8]; } u;
        u.v = a0;
        for (int q = 0; q < 8; ++q) { const float a0 = u.s[q]; u.s[q] = ${act}; }
        a0 = u.v;
    % endif
        y.v[${p}] = a0;
    }
% endfor
    for (int q = 0; q < nq; ++q) {
        __global ${ctype(ot)} *op = out + base + q * OP;
% for i in range(2):
        if (oh0 + ${i} < OH) {
    % if ot.name == "f32":
            if (ow0 + 1 < OW) {
                ${vstore_u("float", 2, "(op + %s)" % ("OW" if i else "0"), "(float2)(y.s[%d][q], y.s[%d][q])" % (2 * i, 2 * i + 1))}
            } else {
                ${store(ot, "op", "OW" if i else "0", "y.s[%d][q]" % (2 * i))}
            }
    % else:
            ${store(ot, "op", "OW" if i else "0", "y.s[%d][q]" % (2 * i))}
            if (ow0 + 1 < OW) { ${store(ot, "op", "OW + 1" if i else "1", "y.s[%d][q]" % (2 * i + 1))} }
    % endif
        }
% endfor
    }
}
