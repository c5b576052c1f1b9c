## TopK along an axis of length A (inner stride I); ties keep the lower index first.
## phase "insert": one work-item per segment keeps the best k (k <= 64) in private arrays, sorted by value
##   (then by index when by_index).
## phase "rank": one work-item per element counts the elements that beat it; if fewer than k, it is written at
##   that position. phase "ranks" stores the ranks instead, and "gather" (one work-item per segment) writes
##   the selected elements in index order.
## params: t, it (index Type), A, I, k, segs, largest, by_index, phase
<%
ct = cctype(t)
def better(x, y):
    return f"({x} > {y})" if largest else f"({x} < {y})"
%>
% if phase == "insert":
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict vals,
                      __global ${ctype(it)} *restrict idxs) {
    const long s = get_global_id(0);
    if (s >= ${segs}) return;
    const long base = (s / ${I}) * ${A * I} + (s % ${I});
    const long obase = (s / ${I}) * ${k * I} + (s % ${I});
    ${ct} bv[${k}];
    int bi[${k}];
    int n = 0;
    for (int i = 0; i < ${A}; ++i) {
        const ${ct} x = ${load(t, "in", "base + (long)i * %d" % I)};
        if (n == ${k} && !${better("x", "bv[%d]" % (k - 1))}) continue;
        int j = n < ${k} ? n : ${k - 1};
        if (n < ${k}) ++n;
        while (j > 0 && ${better("x", "bv[j - 1]")}) { bv[j] = bv[j - 1]; bi[j] = bi[j - 1]; --j; }
        bv[j] = x;
        bi[j] = i;
    }
% if by_index:
    for (int a = 1; a < n; ++a) {
        const ${ct} v = bv[a];
        const int q = bi[a];
        int j = a;
        while (j > 0 && bi[j - 1] > q) { bv[j] = bv[j - 1]; bi[j] = bi[j - 1]; --j; }
        bv[j] = v;
        bi[j] = q;
    }
% endif
    for (int j = 0; j < n; ++j) {
        ${store(t, "vals", "obase + (long)j * %d" % I, "bv[j]")}
        idxs[obase + (long)j * ${I}] = (${ctype(it)})bi[j];
    }
}
% elif phase in ("rank", "ranks"):
__kernel void ${name}(__global const ${ctype(t)} *restrict in,
% if phase == "rank":
                      __global ${ctype(t)} *restrict vals, __global ${ctype(it)} *restrict idxs) {
% else:
                      __global int *restrict ranks) {
% endif
    const long gid = get_global_id(0);
    if (gid >= ${segs * A}) return;
    const long s = gid / ${A};
    const int i = (int)(gid % ${A});
    const long base = (s / ${I}) * ${A * I} + (s % ${I});
    const ${ct} x = ${load(t, "in", "base + (long)i * %d" % I)};
    int rank = 0;
    for (int j = 0; j < ${A}; ++j) {
        const ${ct} y = ${load(t, "in", "base + (long)j * %d" % I)};
        rank += ${better("y", "x")} || (y == x && j < i);
    }
% if phase == "rank":
    if (rank < ${k}) {
        const long o = (s / ${I}) * ${k * I} + (s % ${I}) + (long)rank * ${I};
        ${store(t, "vals", "o", "x")}
        idxs[o] = (${ctype(it)})i;
    }
% else:
    ranks[gid] = rank;
% endif
}
% else:
__kernel void ${name}(__global const ${ctype(t)} *restrict in, __global const int *restrict ranks,
                      __global ${ctype(t)} *restrict vals, __global ${ctype(it)} *restrict idxs) {
    const long s = get_global_id(0);
    if (s >= ${segs}) return;
    const long base = (s / ${I}) * ${A * I} + (s % ${I});
    const long obase = (s / ${I}) * ${k * I} + (s % ${I});
    int n = 0;
    for (int i = 0; i < ${A}; ++i) {
        if (ranks[s * ${A} + i] < ${k}) {
            ${store(t, "vals", "obase + (long)n * %d" % I, load(t, "in", "base + (long)i * %d" % I))}
            idxs[obase + (long)n * ${I}] = (${ctype(it)})i;
            ++n;
        }
    }
}
% endif
