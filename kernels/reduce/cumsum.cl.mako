## CumSum along an axis of length A (inner stride I): one work-item per segment.
## params: t, A, I, segs, exclusive, reverse; dims and ax_t (Type) when the axis is read at run time from
## a one-element tensor (then A and I are computed from dims, and the launch covers every element)
<% ct = cctype(t) %>
% if dims is not None:
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict out,
                      __global const ${ctype(ax_t)} *restrict axis_in) {
    const long dims[${len(dims)}] = {${", ".join("%dL" % d for d in dims)}};
    int axis = (int)axis_in[0];
    if (axis < 0) axis += ${len(dims)};
    const long A = dims[axis];
    long I = 1;
    for (int d = axis + 1; d < ${len(dims)}; ++d) I *= dims[d];
    const long s = get_global_id(0);
    if (A == 0 || s >= ${segs} / A) return;
    const long base = (s / I) * A * I + (s % I);
    ${ct} acc = 0;
    for (long j = 0; j < A; ++j) {
    % if reverse:
        const long i = A - 1 - j;
    % else:
        const long i = j;
    % endif
        const long off = base + i * I;
        const ${ct} x = ${load(t, "in", "off")};
    % if exclusive:
        ${store(t, "out", "off", "acc")}
        acc += x;
    % else:
        acc += x;
        ${store(t, "out", "off", "acc")}
    % endif
    }
}
<% return %>
% endif
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict out) {
    const long s = get_global_id(0);
    if (s >= ${segs}) return;
    const long base = (s / ${I}) * ${A * I} + (s % ${I});
    ${ct} acc = 0;
% if reverse:
    for (int i = ${A - 1}; i >= 0; --i) {
% else:
    for (int i = 0; i < ${A}; ++i) {
% endif
        const long off = base + (long)i * ${I};
        const ${ct} x = ${load(t, "in", "off")};
% if exclusive:
        ${store(t, "out", "off", "acc")}
        acc += x;
% else:
        acc += x;
        ${store(t, "out", "off", "acc")}
% endif
    }
}
