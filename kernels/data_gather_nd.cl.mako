## GatherND: indices viewed as [B, M, Kt] (Kt index components), output [B, M, S]; data batch stride BS and
## per-component strides. One work-item moves V elements of a slice; out-of-range tuples give zeros.
## params: T, IT, idx, B, M, Kt, S, V, BS, dims (data dims indexed), strides
__kernel void ${name}(__global ${T} *restrict out, __global const ${T} *restrict data,
                      __global const ${IT} *restrict indices) {
    const ${idx} i0 = get_global_id(0);
    const ${idx} r = get_global_id(1);
    if (i0 >= ${S // V} || r >= ${B * M}) return;
    __global const ${IT} *t = indices + r * ${Kt};
    ${idx} io = (r / ${M}) * ${BS};
    int ok = 1;
% for a in range(Kt):
    {
        long j = (long)t[${a}];
        if (j < 0) j += ${dims[a]};
        if (j < 0 || j >= ${dims[a]}) ok = 0;
        else io += (${idx})j * ${strides[a]};
    }
% endfor
    const ${idx} oo = r * ${S} + i0 * ${V};
% if V > 1:
    if (ok) ${vstore_u(T, V, "(out + oo)", vload_u(T, V, "(data + io + i0 * %d)" % V))}
    else ${vstore_u(T, V, "(out + oo)", "(%s%d)(0)" % (T, V))}
% else:
    out[oo] = ok ? data[io + i0] : (${T})0;
% endif
}
