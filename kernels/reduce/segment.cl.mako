## Reduction: one work-group of WG items per output element; each item folds a strided share of the reduced
## elements, then (WG > 1) a tree in local memory combines the shares. No barrier inside the element loop.
## params (WG and VEC: the spec, segment.py): in_t, out_t, acc (C accumulator type), init, mapx (C expression over x), comb (over a, b),
##   fin (over a, and R), R (reduced count), n_out, WG, base_code (sets long base from o),
##   red_code (sets long roff from r), VEC (f32, WG == 1, contiguous segment: float8 body)
% if VEC:
inline float8 ${name}_comb8(float8 a, float8 b) { return ${comb}; }
inline float ${name}_comb(float a, float b) { return ${comb}; }
% endif
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(${signature}) {
    const long o = get_group_id(0);
% if VEC:
    ## contiguous f32 segment, one work-item: a float8 body of unaligned loads from the segment's start, then a
    ## scalar tail. Every segment folds in the same order whatever its alignment, so equal segments give equal
    ## results (a global average pool's channels feeding a softmax: one rounding apart is a different class).
    ${base_code}
    const __global float *p = in + base;
    float a = ${init};
    float8 a8 = (float8)(${init});
    for (int v = 0; v < ${R // 8}; ++v) { const float8 x = ${vload_u("float", 8, "p + v * 8")}; a8 = ${name}_comb8(a8, ${mapx}); }
    for (int i = ${R // 8 * 8}; i < ${R}; ++i) { const float x = p[i]; a = ${name}_comb(a, ${mapx}); }
% for c in "01234567":
    a = ${name}_comb(a, a8.s${c});
% endfor
    ${store(out_t, "out", "o", fin)}
}
<% return %>
% endif
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
