## CumProd along an axis read at run time: one work-item per element multiplies its prefix.
## params: t, at, shape, strides, n, exclusive, reverse
<% ct = cctype(t) %>
__constant long ${name}_shape[${len(shape)}] = {${", ".join(str(v) for v in shape)}};
__constant long ${name}_strides[${len(shape)}] = {${", ".join(str(v) for v in strides)}};
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global const ${ctype(at)} *restrict axis_p,
                      __global ${ctype(t)} *restrict out) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    long axis = (long)axis_p[0];
    if (axis < 0) axis += ${len(shape)};
    const long A = ${name}_shape[axis], st = ${name}_strides[axis];
    const long pos = (gid / st) % A;
    const long base = gid - pos * st;
    ${ct} acc = (${ct})1;
% if reverse:
    for (long i = A - 1; i ${">" if exclusive else ">="} pos; --i) acc *= ${load(t, "in", "base + i * st")};
% else:
    for (long i = 0; i ${"<" if exclusive else "<="} pos; ++i) acc *= ${load(t, "in", "base + i * st")};
% endif
    ${store(t, "out", "gid", "acc")}
}
