## Unique in bounded form over x viewed as [outer, A, inner] (slices along the axis; no axis: A = numel).
## "first": one work-item per slice i: first[i] = the first slice equal to it. "place": per slice that is a
## first occurrence, its rank r (by value when sorted, else by position) into rk[i]; it writes unique slice r,
## indices[r] = i and counts[r]. "finish": per slice, rev[i] = rk[first[i]]; work-item 0 writes the count.
## params: phase, xt, it, ct, outer, A, inner, srt
<%
S = outer * inner
cc = cctype(xt)
%>
static long ${name}_off(int i, int e) { return (long)(e / ${inner}) * ${A * inner} + (long)i * ${inner} + e % ${inner}; }

static int ${name}_cmp(__global const ${ctype(xt)} *x, int a, int b) {
    for (int e = 0; e < ${S}; ++e) {
        const long oa = ${name}_off(a, e), ob = ${name}_off(b, e);
        const ${cc} va = ${load(xt, "x", "oa")}, vb = ${load(xt, "x", "ob")};
        if (va < vb) return -1;
        if (va > vb) return 1;
    }
    return 0;
}

% if phase == "first":
__kernel void ${name}(__global const ${ctype(xt)} *restrict x, __global int *restrict first) {
    const int i = get_global_id(0);
    if (i >= ${A}) return;
    int f = i;
    for (int j = 0; j < i; ++j) if (${name}_cmp(x, j, i) == 0) { f = j; break; }
    first[i] = f;
}
% elif phase == "place":
__kernel void ${name}(__global const ${ctype(xt)} *restrict x, __global const int *restrict first,
                      __global int *restrict rk, __global ${ctype(xt)} *restrict y,
                      __global ${ctype(it)} *restrict indices, __global ${ctype(ct)} *restrict counts) {
    const int i = get_global_id(0);
    if (i >= ${A} || first[i] != i) return;
    int r = 0, c = 0;
    for (int k = 0; k < ${A}; ++k) {
        const int fk = first[k];
        c += fk == i;
% if srt:
        if (fk == k && k != i) r += ${name}_cmp(x, k, i) < 0;
% else:
        if (fk == k && k < i) ++r;
% endif
    }
    rk[i] = r;
    for (int e = 0; e < ${S}; ++e) y[${name}_off(r, e)] = x[${name}_off(i, e)];
    indices[r] = (${ctype(it)})i;
    counts[r] = (${ctype(ct)})c;
}
% else:
__kernel void ${name}(__global const int *restrict first, __global const int *restrict rk,
                      __global ${ctype(it)} *restrict rev, __global long *restrict length) {
    const int i = get_global_id(0);
    if (i >= ${A}) return;
    rev[i] = (${ctype(it)})rk[first[i]];
    if (i == 0) {
        long n = 0;
        for (int k = 0; k < ${A}; ++k) n += first[k] == k;
        length[0] = n;
    }
}
% endif
