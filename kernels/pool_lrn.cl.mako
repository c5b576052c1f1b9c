## Local response normalisation: y = x * (bias + scale * sum(x^2 over the window))^-beta, the window spanning
## [i - before, i + after] on each normalised axis (clipped).
## params: t (Type), n_items (work-items), walk (one axis, a window of at most 16: walk along it), vec (1, 4
## or 8: positions per walking work-item), shape (list), axes (normalised axes), before, after, bias, scale,
## beta
##
## Walking along one normalised axis (ONNX's LRN, across channels): a work-item takes ``vec`` neighbouring positions off
## that axis (explicit vectors: PoCL does not vectorise this loop across work-items; a plane whose size is no
## multiple of vec ends in work-items of one position each) and walks along the
## axis with the window's values in registers, one load and one store a step; the squares are summed afresh
## each step (a running add/subtract would lose small sums to cancellation once a large value leaves the
## window). Otherwise: one work-item per element, looping over its window.
<%
rank = len(shape)
strides = [1] * rank
for i in range(rank - 2, -1, -1):
    strides[i] = strides[i + 1] * shape[i + 1]
b, s = lit(bias, t), lit(scale, t)
def inv_pow(acc):
    # base^-beta: pow is a long libm call on PoCL; the usual betas have exact forms in rsqrt/sqrt
    base = "(%s + %s * %s)" % (b, s, acc)
    if beta == 0.75:
        return "(rsqrt(%s) * sqrt(rsqrt(%s)))" % (base, base)
    if beta == 0.5:
        return "rsqrt(%s)" % base
    if beta == 1.0:
        return "(1.0f / %s)" % base
    return "exp2(%s * log2(%s))" % (lit(-beta, t), base)
%>
% if walk:
<%
n_axis, inner = shape[axes[0]], strides[axes[0]]
size = before + after + 1
nvec = inner // vec if vec > 1 else 0          # vector positions of a plane, then its tail one by one
per = nvec + (inner - nvec * vec)
def vload(off, w):
    if w == 1:
        return load(t, "x", off)
    return ("vload_half%d(0, x + %s)" % (w, off)) if t.name == "f16" else vload_u("float", w, "(x + %s)" % off)
def vstore(off, val, w):
    if w == 1:
        return store(t, "out", off, val)
    if t.name == "f16":
        return "vstore_half%d_rte(%s, 0, out + %s);" % (w, val, off)
    return vstore_u("float", w, "(out + %s)" % off, val)
%>
<%def name="walk_from(w)">
<% fv = "float" if w == 1 else "float%d" % w %>\
    ## w<k> holds the value at c - before + k (zero outside the axis)
% for k in range(size - 1):
    ${fv} w${k} = ${"0.0f" if k < before or k - before >= n_axis else vload("base + %d" % ((k - before) * inner), w)};
% endfor
    for (int c = 0; c < ${n_axis}; ++c) {
        const ${fv} w${size - 1} = c + ${after} < ${n_axis} ? ${vload("base + (long)(c + %d) * %d" % (after, inner), w)} : 0.0f;
        const ${fv} acc = ${" + ".join("w%d * w%d" % (k, k) for k in range(size))};
        ${vstore("base + (long)c * %d" % inner, "w%d * %s" % (before, inv_pow("acc")), w)}
% for k in range(size - 1):
        w${k} = w${k + 1};
% endfor
    }
</%def>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict x) {
    const int gid = get_global_id(0);
    if (gid >= ${n_items}) return;
    const int q = gid % ${per};
    const long plane = (long)(gid / ${per}) * ${n_axis * inner};
% if nvec:
    if (q < ${nvec}) {
        const long base = plane + q * ${vec};
${walk_from(vec)}
        return;
    }
    const long base = plane + ${nvec * vec} + (q - ${nvec});
% else:
    const long base = plane + q;
% endif
${walk_from(1)}
}
% else:
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict x) {
    const long gid = get_global_id(0);
    if (gid >= ${n_items}) return;
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
    ${store(t, "out", "gid", "xv * " + inv_pow("acc"))}
}
% endif
