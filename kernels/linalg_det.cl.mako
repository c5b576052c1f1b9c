## Det: one work-item per matrix; Gaussian elimination with partial pivoting on a copy in scratch memory.
## params: t, M, n (matrices)
<% F = "double" if t.name == "f64" else "float" %>
__kernel void ${name}(__global const ${ctype(t)} *restrict x, __global ${F} *restrict work,
                      __global ${ctype(t)} *restrict y) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    __global ${F} *a = work + gid * ${M * M};
    for (int i = 0; i < ${M * M}; ++i) a[i] = (${F})(${load(t, "x", f"gid * {M * M} + i")});
    ${F} det = 1;
    for (int k = 0; k < ${M}; ++k) {
        int p = k;
        ${F} best = fabs(a[k * ${M} + k]);
        for (int i = k + 1; i < ${M}; ++i) {
            const ${F} v = fabs(a[i * ${M} + k]);
            if (v > best) { best = v; p = i; }
        }
        if (best == 0) { det = 0; break; }
        if (p != k) {
            for (int j = 0; j < ${M}; ++j) {
                const ${F} tmp = a[k * ${M} + j]; a[k * ${M} + j] = a[p * ${M} + j]; a[p * ${M} + j] = tmp;
            }
            det = -det;
        }
        const ${F} piv = a[k * ${M} + k];
        det *= piv;
        for (int i = k + 1; i < ${M}; ++i) {
            const ${F} f = a[i * ${M} + k] / piv;
            for (int j = k + 1; j < ${M}; ++j) a[i * ${M} + j] -= f * a[k * ${M} + j];
        }
    }
    ${store(t, "y", "gid", "det")}
}
