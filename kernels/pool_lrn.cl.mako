## Local response normalisation, one work-item per element: y = x / (bias + scale * sum(x^2 over the
## window))^beta, the window spanning [i - before, i + after] on each normalised axis (clipped).
## params: t (Type), n_total, shape (list), axes (list of normalised axes), before, after, bias, scale, beta
<%
rank = len(shape)
strides = [1] * rank
for i in range(rank - 2, -1, -1):
    strides[i] = strides[i + 1] * shape[i + 1]
%>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict x) {
    const long gid = get_global_id(0);
    if (gid >= ${n_total}) return;
% for a in axes:
    const int c${a} = (int)((gid / ${strides[a]}) % ${shape[a]});
% endfor
    float acc = 0.0f;
% for a in axes:
    for (int j${a} = max(c${a} - ${before}, 0); j${a} <= min(c${a} + ${after}, ${shape[a] - 1}); ++j${a}) {
% endfor
        const long p = gid${"".join(" + (long)(j%d - c%d) * %d" % (a, a, strides[a]) for a in axes)};
        const float v = ${load(t, "x", "p")};
        acc += v * v;
% for a in axes:
    }
% endfor
    const float xv = ${load(t, "x", "gid")};
    ${store(t, "out", "gid", "xv / pow(%s + %s * acc, %s)" % (lit(bias, t), lit(scale, t), lit(beta, t)))}
}
