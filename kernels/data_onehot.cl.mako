## OneHot: output [P, depth, Q], indices [P, Q]; on/off values read from one-element buffers.
## params: T (raw type of on/off), IT, idx, P, D (depth), Q, normalize, n
__kernel void ${name}(__global ${T} *restrict out, __global const ${IT} *restrict indices,
                      __global const ${T} *restrict on, __global const ${T} *restrict off) {
    const ${idx} gid = get_global_id(0);
    if (gid >= ${n}) return;
    const ${idx} q = gid % ${Q};
    const ${idx} r = gid / ${Q};
    const ${idx} d = r % ${D};
    const ${idx} p = r / ${D};
    long j = (long)indices[p * ${Q} + q];
% if normalize:
    if (j < 0) j += ${D};
% endif
    out[gid] = (j == (long)d) ? on[0] : off[0];
}
