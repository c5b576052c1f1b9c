## ScatterElementsUpdate (after a copy of data into out): one work-item per position of the updates except
## along the axis; it applies that column's updates in order, so duplicate targets reduce deterministically
## without atomics (updates of different columns never share a target).
## Without a reduction (duplicates undefined) every update element gets its own work-item instead (full).
## params: t (Type), IT, idx, ushape, ustrides, ostrides, axis, A, reduction, use_init, ncols, ident (C literal),
## full
<%
UA = 1 if full else ushape[axis]
others = [d for d in range(len(ushape)) if full or d != axis]
ct = cctype(t)
def combine(a, b):
    if reduction == "sum" or reduction == "mean":
        return f"({a}) || ({b})" if t.name == "boolean" else f"{a} + {b}"
    if reduction == "prod":
        return f"({a}) && ({b})" if t.name == "boolean" else f"{a} * {b}"
    if reduction == "min":
        return f"({b} < {a} ? {b} : {a})"
    if reduction == "max":
        return f"({b} > {a} ? {b} : {a})"
    return b
%>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${IT} *restrict indices,
                      __global const ${ctype(t)} *restrict updates
% if reduction == "mean":
    , __global int *restrict cnt
% endif
) {
    const ${idx} gid = get_global_id(0);
    if (gid >= ${ncols}) return;
    ${idx} rem = gid;
    ${idx} ub = 0;
    ${idx} ob = 0;
% for k in reversed(range(len(others))):
<% d = others[k] %>\
    {
    % if k > 0:
        const ${idx} c = rem % ${ushape[d]}; rem /= ${ushape[d]};
    % else:
        const ${idx} c = rem;
    % endif
        ub += c * ${ustrides[d]};
    % if d != axis:
        ob += c * ${ostrides[d]};
    % endif
    }
% endfor
% if reduction != "none" and (not use_init or reduction == "mean"):
    for (${idx} i = 0; i < ${UA}; ++i) {
        long j = (long)indices[ub + i * ${ustrides[axis]}];
        if (j < 0) j += ${A};
        if (j < 0 || j >= ${A}) continue;
        const ${idx} o = ob + (${idx})j * ${ostrides[axis]};
    % if reduction == "mean":
        cnt[o] = ${1 if use_init else 0};
        % if not use_init:
        ${store(t, "out", "o", lit(0, t))}
        % endif
    % else:
        ${store(t, "out", "o", ident)}
    % endif
    }
% endif
    for (${idx} i = 0; i < ${UA}; ++i) {
        const ${idx} u = ub + i * ${ustrides[axis]};
        long j = (long)indices[u];
        if (j < 0) j += ${A};
        if (j < 0 || j >= ${A}) continue;
        const ${idx} o = ob + (${idx})j * ${ostrides[axis]};
        const ${ct} v = ${load(t, "updates", "u")};
% if reduction == "none":
        ${store(t, "out", "o", "v")}
% else:
        const ${ct} cur = ${load(t, "out", "o")};
        ${store(t, "out", "o", combine("cur", "v"))}
    % if reduction == "mean":
        cnt[o] += 1;
    % endif
% endif
    }
% if reduction == "mean":
    for (${idx} i = 0; i < ${UA}; ++i) {
        long j = (long)indices[ub + i * ${ustrides[axis]}];
        if (j < 0) j += ${A};
        if (j < 0 || j >= ${A}) continue;
        const ${idx} o = ob + (${idx})j * ${ostrides[axis]};
        const int n = cnt[o];
        if (n > 0) {
    % if t.is_real():
            ${store(t, "out", "o", load(t, "out", "o") + " / (" + ct + ")n")}
    % else:
            const ${ct} s = ${load(t, "out", "o")};
            ${store(t, "out", "o", "s / n")}
    % endif
            cnt[o] = 0;
        }
    }
% endif
}
