## ScatterUpdate (after a copy of data into out): data [P, A, K], indices flat [M], updates [P, M, K].
## One work-item per update element; out-of-range indices are skipped.
## params: T (raw type), IT, idx, P, A, M, K
__kernel void ${name}(__global ${T} *restrict out, __global const ${IT} *restrict indices,
                      __global const ${T} *restrict updates) {
    const ${idx} k = get_global_id(0);
    const ${idx} r = get_global_id(1);
    if (k >= ${K} || r >= ${P * M}) return;
    const ${idx} m = r % ${M};
    const ${idx} p = r / ${M};
    long j = (long)indices[m];
    if (j < 0) j += ${A};
    if (j < 0 || j >= ${A}) return;
    out[(p * ${A} + (${idx})j) * ${K} + k] = updates[r * ${K} + k];
}
