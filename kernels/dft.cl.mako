## One-axis discrete Fourier transform, direct sum over a twiddle table (cos, sin of 2 pi m / n).
## Input viewed as [outer, length_in, inner] (x2 when complex), output as [outer, length_out, inner] (x2).
## params: t, outer, inner, lin (input length along the axis), n (transform length), kout (output length),
## cin, cout (complex input/output), inverse, hermitian (input is one-sided: rebuild the other half)
__kernel void ${name}(__global const ${ctype(t)} *restrict x, __global ${ctype(t)} *restrict y,
                      __global const float *restrict tw) {
    const int gid = get_global_id(0);
    if (gid >= ${outer * kout * inner}) return;
    const int i = gid % ${inner};
    const int k = (gid / ${inner}) % ${kout};
    const int o = gid / (${inner} * ${kout});
    float re = 0.0f, im = 0.0f;
    for (int j = 0; j < ${n}; ++j) {
% if hermitian:
        const int src = j < ${lin} ? j : ${n} - j;
        const float conj = j < ${lin} ? 1.0f : -1.0f;
        if (src >= ${lin}) continue;
% else:
        if (j >= ${lin}) break;
        const int src = j;
        const float conj = 1.0f;
% endif
% if cin:
        const int at = ((o * ${lin} + src) * ${inner} + i) * 2;
        const float a = ${load(t, "x", "at")}, b = conj * ${load(t, "x", "at + 1")};
% else:
        const float a = ${load(t, "x", "(o * %d + src) * %d + i" % (lin, inner))}, b = 0.0f;
% endif
        const int m = (int)(((long)k * j) % ${n});
        const float c = tw[2 * m], s = tw[2 * m + 1];
% if inverse:
        re += a * c - b * s;
        im += b * c + a * s;
% else:
        re += a * c + b * s;
        im += b * c - a * s;
% endif
    }
% if inverse:
    re *= ${lit(1.0 / n, t)};
    im *= ${lit(1.0 / n, t)};
% endif
% if cout:
    ${store(t, "y", "gid * 2", "re")}
    ${store(t, "y", "gid * 2 + 1", "im")}
% else:
    ${store(t, "y", "gid", "re")}
% endif
}
