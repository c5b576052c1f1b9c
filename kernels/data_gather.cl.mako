## Gather (opset8): data viewed as [B, P, A, K], indices as [B, M], output [B, P, M, K].
## One work-item moves V consecutive elements of a gathered row (K); get_global_id(1) walks (b, p, m).
## Negative indices wrap once; indices still out of range produce zeros (never read out of bounds).
## params: T (raw element type), IT (index C type), idx, B, P, M, A, K, V; half: data is f16 bits (T ushort),
## decoded exactly (ovcl_h2f*) into an f32 output
<% OT = "float" if half else T %>\
__kernel void ${name}(__global ${OT} *restrict out, __global const ${T} *restrict data,
                      __global const ${IT} *restrict indices) {
    const ${idx} i0 = get_global_id(0);
    const ${idx} r = get_global_id(1);
    if (i0 >= ${K // V} || r >= ${B * P * M}) return;
    const ${idx} m = r % ${M};
    const ${idx} bp = r / ${M};
% if B > 1:
    const ${idx} b = bp / ${P};
    long j = (long)indices[b * ${M} + m];
% else:
    long j = (long)indices[m];
% endif
    if (j < 0) j += ${A};
    const ${idx} oo = r * ${K} + i0 * ${V};
% if V > 1:
    if (j >= 0 && j < ${A})
<% row = vload_u(T, V, "(data + (bp * %d + (%s)j) * %d + i0 * %d)" % (A, idx, K, V)) %>\
        ${vstore_u(OT, V, "(out + oo)", ("ovcl_h2f%d(%s)" % (V, row)) if half else row)}
    else
        ${vstore_u(OT, V, "(out + oo)", "(%s%d)(0)" % (OT, V))}
% else:
    out[oo] = (j >= 0 && j < ${A}) ? ${"ovcl_h2f" if half else ""}(data[(bp * ${A} + (${idx})j) * ${K} + i0])
                                   : (${OT})0;
% endif
}
