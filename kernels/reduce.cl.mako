## Reduction: one work-group of WG items per output element; each item folds a strided share of the reduced
## elements, then (WG > 1) a tree in local memory combines the shares. No barrier inside the element loop.
## params: in_t, out_t, acc (C accumulator type), init, mapx (C expression over x), comb (over a, b),
##   fin (over a, and R), R (reduced count), n_out, WG, base_code (sets long base from o),
##   red_code (sets long roff from r)
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(__global const ${ctype(in_t)} *restrict in, __global ${ctype(out_t)} *restrict out) {
    const long o = get_group_id(0);
% if WG > 1:
    __local ${acc} scratch[${WG}];
    const int lid = get_local_id(0);
% else:
    const int lid = 0;
% endif
    ${base_code}
    ${acc} a = ${init};
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
        const ${acc} x = (${acc})${load(in_t, "in", "base + roff")};
        const ${acc} b = ${mapx};
        a = ${comb};
    }
% if WG > 1:
    scratch[lid] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    % for s in [WG >> i for i in range(1, 16) if WG >> i >= 1]:
    if (lid < ${s}) { a = scratch[lid]; const ${acc} b = scratch[lid + ${s}]; scratch[lid] = ${comb}; }
    barrier(CLK_LOCAL_MEM_FENCE);
    % endfor
    if (lid == 0) {
        a = scratch[0];
        ${store(out_t, "out", "o", fin)}
    }
% else:
    ${store(out_t, "out", "o", fin)}
% endif
}
