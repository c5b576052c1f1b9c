## Element-wise kernel over NumPy-broadcast inputs: one work-item per output element.
## params: out_t (Type), ins (list of (Type, strides or None, C literal or None)), dims (collapsed output
## shape), n, expr (C
## expression over a0, a1, ... in their compute types), body (C statements before expr: fused steps),
## idx (C index type: int or long)
__kernel void ${name}(__global ${ctype(out_t)} *restrict out
% for k, (t, strides, lit) in enumerate(ins):
    % if lit is None:
    , __global const ${ctype(t)} *restrict in${k}
    % endif
% endfor
) {
    const ${idx} gid = get_global_id(0);
    if (gid >= ${n}) return;
% if any(s is not None and lit is None for _, s, lit in ins):
    ${idx} rem = gid;
    % for k, (t, strides, lit) in enumerate(ins):
        % if strides is not None and lit is None:
    ${idx} off${k} = 0;
        % endif
    % endfor
    % for d in reversed(range(len(dims))):
    {
        % if d > 0:
        const ${idx} c = rem % ${dims[d]}; rem /= ${dims[d]};
        % else:
        const ${idx} c = rem;
        % endif
        % for k, (t, strides, lit) in enumerate(ins):
            % if strides is not None and lit is None and strides[d] != 0:
        off${k} += c * ${strides[d]};
            % endif
        % endfor
    }
    % endfor
% endif
% for k, (t, strides, lit) in enumerate(ins):
    % if lit is not None:
    const ${cctype(t)} a${k} = ${lit};
    % else:
    const ${cctype(t)} a${k} = ${load(t, "in%d" % k, "gid" if strides is None else "off%d" % k)};
    % endif
% endfor
% for line in body:
    ${line}
% endfor
    ${store(out_t, "out", "gid", expr)}
}
