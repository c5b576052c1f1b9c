## CumSum / CumProd along an axis of length A (inner stride I): one work-item per segment walks it.
## params: t, op ("sum" | "prod"), A, I, segs, exclusive, reverse; dims and ax_t (Type) when the axis is read
## at run time from a one-element tensor (then A and I come from dims, and segs is the element count: the
## launch covers the most segments any axis can have)
<%
ct = cctype(t)
init, step = ("(%s)0" % ct, "acc += x;") if op == "sum" else ("(%s)1" % ct, "acc *= x;")
%>
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
% else:
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict out) {
    const long A = ${A}, I = ${I};
    const long s = get_global_id(0);
    if (s >= ${segs}) return;
% endif
    const long base = (s / I) * A * I + (s % I);
    ${ct} acc = ${init};
    for (long j = 0; j < A; ++j) {
% if reverse:
        const long off = base + (A - 1 - j) * I;
% else:
        const long off = base + j * I;
% endif
        const ${ct} x = ${load(t, "in", "off")};
% if exclusive:
        ${store(t, "out", "off", "acc")}
        ${step}
% else:
        ${step}
        ${store(t, "out", "off", "acc")}
% endif
    }
}
