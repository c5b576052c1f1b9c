## ReverseSequence: out[.., b, .., t, ..] = in[.., b, .., L_b - 1 - t, ..] for t < L_b (L_b clamped to the
## sequence length), else the element itself. One work-item per element.
## params: T (raw type), LT (lengths C type), idx, shape, strides, ba, sa, n
__kernel void ${name}(__global ${T} *restrict out, __global const ${T} *restrict in,
                      __global const ${LT} *restrict lens) {
    const ${idx} gid = get_global_id(0);
    if (gid >= ${n}) return;
    ${idx} rem = gid;
% for d in reversed(range(len(shape))):
    % if d > 0:
    const ${idx} c${d} = rem % ${shape[d]}; rem /= ${shape[d]};
    % else:
    const ${idx} c${d} = rem;
    % endif
% endfor
    long L = (long)lens[c${ba}];
    L = L < 0 ? 0 : (L > ${shape[sa]} ? ${shape[sa]} : L);
    const ${idx} t = c${sa} < L ? (${idx})(L - 1 - c${sa}) : c${sa};
    out[gid] = in[gid + (t - c${sa}) * ${strides[sa]}];
}
