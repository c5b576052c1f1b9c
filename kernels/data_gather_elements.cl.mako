## GatherElements: out[c] = data[c with c[axis] = indices[c]]; one work-item per output element.
## Out-of-range indices (after one wrap of negatives) produce zeros.
## params: T, IT, idx, shape (indices/output shape), dstrides (data element strides), axis, A (data axis size), n
__kernel void ${name}(__global ${T} *restrict out, __global const ${T} *restrict data,
                      __global const ${IT} *restrict indices) {
    const ${idx} gid = get_global_id(0);
    if (gid >= ${n}) return;
    long j = (long)indices[gid];
    if (j < 0) j += ${A};
    if (j < 0 || j >= ${A}) { out[gid] = (${T})0; return; }
    ${idx} rem = gid;
    ${idx} io = (${idx})j * ${dstrides[axis]};
% for d in reversed(range(len(shape))):
    {
    % if d > 0:
        const ${idx} c = rem % ${shape[d]}; rem /= ${shape[d]};
    % else:
        const ${idx} c = rem;
    % endif
    % if d != axis:
        io += c * ${dstrides[d]};
    % endif
    }
% endfor
    out[gid] = data[io];
}
