## Winograd F(2x2, 3x3) output transform (spec: winograd.py beside this file; lowering: ovcl/lowering/winograd.py): the 16 GEMM results
## M[xi][t][oc] of tile t become the 2x2 outputs A^T m A at (n, oc, 2*th + i, 2*tw + j), plus the epilogue
## (+ bias[oc], + residual, activation over a0); pixels past the output's edge are not stored.
## params: signature (declared by winograd.py beside this file), ot (the output's Type: f32, or f16 stored
## half), bt, rt (the bias's and residual's Types, None without them), act (str|None), one_image (N == 1). Sizes are int arguments.
__kernel void ${name}(${signature}) {
    const int oc = get_global_id(0);
    const int tw = get_global_id(1);
    const int r = get_global_id(2);                 // n * TH + th
    if (oc >= OC) return;
    const int t = r * TW + tw;
% if one_image:
    const int th = r, n = 0;                        // (integer divisions cost as much as this kernel's math)
% else:
    const int th = r % TH, n = r / TH;
% endif
    const long XI = (long)T * OC;
    __global const float *mp = M + (long)t * OC + oc;
% for k in range(4):
    const float4 m${k} = (float4)(mp[${4 * k} * XI], mp[${4 * k + 1} * XI], mp[${4 * k + 2} * XI], mp[${4 * k + 3} * XI]);
% endfor
    // rows: A^T m, then columns
    const float4 s0 = m0 + m1 + m2, s1 = m1 - m2 - m3;
    float y[4];
    y[0] = s0.s0 + s0.s1 + s0.s2;
    y[1] = s0.s1 - s0.s2 - s0.s3;
    y[2] = s1.s0 + s1.s1 + s1.s2;
    y[3] = s1.s1 - s1.s2 - s1.s3;
    const int oh0 = 2 * th, ow0 = 2 * tw;
    const long base = ((long)n * OC + oc) * OH * OW;
% if bt:
    const float b = ${load(bt, "bias", "oc")};
% endif
% for i in range(2):
    % for j in range(2):
    if (oh0 + ${i} < OH && ow0 + ${j} < OW) {
        const long o = base + (long)(oh0 + ${i}) * OW + ow0 + ${j};
        float a0 = y[${2 * i + j}]${" + b" if bt else ""};
        % if rt:
        a0 += ${load(rt, "res", "o")};
        % endif
        % if act:
        a0 = ${act};
        % endif
        ${store(ot, "out", "o", "a0")}
    }
    % endfor
% endfor
}
