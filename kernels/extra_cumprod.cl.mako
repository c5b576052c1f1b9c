## CumProd along a constant axis of length A (inner stride I): one work-item per segment.
## params: t, A, I, segs, exclusive, reverse
<% ct = cctype(t) %>
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict out) {
    const long s = get_global_id(0);
    if (s >= ${segs}) return;
    const long base = (s / ${I}) * ${A * I} + (s % ${I});
    ${ct} acc = (${ct})1;
% if reverse:
    for (int i = ${A - 1}; i >= 0; --i) {
% else:
    for (int i = 0; i < ${A}; ++i) {
% endif
        const long off = base + (long)i * ${I};
        const ${ct} v = ${load(t, "in", "off")};
% if exclusive:
        ${store(t, "out", "off", "acc")}
        acc *= v;
% else:
        acc *= v;
        ${store(t, "out", "off", "acc")}
% endif
    }
}
