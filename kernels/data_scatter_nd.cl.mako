## ScatterNDUpdate (after a copy of data into out): indices [M, Kt], updates [M, S]. Without reduction one
## work-item per (update row, element); with a reduction one work-item per slice element walks the rows in
## order (duplicates reduce deterministically). Out-of-range index tuples are skipped.
## params: t, IT, idx, M, Kt, S, dims, strides, reduction, seq
<%
ct = cctype(t)
def combine(a, b):
    if reduction == "sum":
        return f"({a}) || ({b})" if t.name == "boolean" else f"{a} + {b}"
    if reduction == "sub":
        return f"{a} - {b}"
    if reduction == "prod":
        return f"({a}) && ({b})" if t.name == "boolean" else f"{a} * {b}"
    if reduction == "min":
        return f"({b} < {a} ? {b} : {a})"
    if reduction == "max":
        return f"({b} > {a} ? {b} : {a})"
    return b
%>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${IT} *restrict indices,
                      __global const ${ctype(t)} *restrict updates) {
    const ${idx} i0 = get_global_id(0);
    if (i0 >= ${S}) return;
% if seq:
    for (${idx} m = 0; m < ${M}; ++m) {
% else:
    const ${idx} m = get_global_id(1);
    if (m >= ${M}) return;
    {
% endif
        __global const ${IT} *t = indices + m * ${Kt};
        ${idx} o = i0;
        int ok = 1;
% for a in range(Kt):
        {
            long j = (long)t[${a}];
            if (j < 0) j += ${dims[a]};
            if (j < 0 || j >= ${dims[a]}) ok = 0;
            else o += (${idx})j * ${strides[a]};
        }
% endfor
        if (ok) {
            const ${ct} v = ${load(t, "updates", "m * %d + i0" % S)};
% if reduction == "none":
            ${store(t, "out", "o", "v")}
% else:
            const ${ct} cur = ${load(t, "out", "o")};
            ${store(t, "out", "o", combine("cur", "v"))}
% endif
        }
    }
}
