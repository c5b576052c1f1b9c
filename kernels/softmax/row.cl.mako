## Softmax / LogSoftmax along one axis, numerically stable (the row maximum is subtracted): one work-group
## per row; passes: maximum, sum of exponentials (softmax stores them), then scale (or x - max - log(sum)).
## params: t (Type), A (axis length), I (inner stride: elements after the axis), rows, log (bool); from the
##   spec (row.py): WG, VEC (f32, I == 1, WG == 1: float8 body between a scalar head and tail)
<%
ct = cctype(t)
expf = "ovcl_exp" if ct == "float" else "exp"    # the prelude's inlined float exp (PoCL's is out of line)
%>
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(${signature}) {
    const long g = get_group_id(0);
% if WG > 1:
    __local ${ct} scratch[${WG}];
    const int lid = get_local_id(0);
% else:
    const int lid = 0;
% endif
% if I == 1:
    const long base = g * ${A};
% else:
    const long base = (g / ${I}) * ${A * I} + (g % ${I});
% endif
% if VEC:
    ## contiguous f32 row, one work-item: scalar head up to 32-byte alignment, float8 body, scalar tail
    const int head = (int)min((long)${A}, (8 - (base & 7)) & 7);
    const int nv = (${A} - head) >> 3;
    const int tail = head + (nv << 3);
    const __global float8 *v_in = (const __global float8 *)(in + base + head);
    __global float8 *v_out = (__global float8 *)(out + base + head);
    float m = -INFINITY;
    float8 m8 = (float8)(-INFINITY);
    for (int i = 0; i < head; ++i) m = fmax(m, in[base + i]);
    for (int v = 0; v < nv; ++v) m8 = fmax(m8, v_in[v]);
    for (int i = tail; i < ${A}; ++i) m = fmax(m, in[base + i]);
    m8.lo = fmax(m8.lo, m8.hi);
    m8.s01 = fmax(m8.s01, m8.s23);
    m = fmax(m, fmax(m8.s0, m8.s1));
    float s = 0.0f;
    float8 s8 = (float8)(0.0f);
    % if log:
    for (int i = 0; i < head; ++i) s += ${expf}(in[base + i] - m);
    for (int v = 0; v < nv; ++v) s8 += exp(v_in[v] - m);
    for (int i = tail; i < ${A}; ++i) s += ${expf}(in[base + i] - m);
    % else:
    for (int i = 0; i < head; ++i) { const float e = ${expf}(in[base + i] - m); out[base + i] = e; s += e; }
    for (int v = 0; v < nv; ++v) { const float8 e = exp(v_in[v] - m); v_out[v] = e; s8 += e; }
    for (int i = tail; i < ${A}; ++i) { const float e = ${expf}(in[base + i] - m); out[base + i] = e; s += e; }
    % endif
    s8.lo += s8.hi;
    s8.s01 += s8.s23;
    s += s8.s0 + s8.s1;
    % if log:
    const float sh = m + log(s);
    for (int i = 0; i < head; ++i) out[base + i] = in[base + i] - sh;
    for (int v = 0; v < nv; ++v) v_out[v] = v_in[v] - sh;
    for (int i = tail; i < ${A}; ++i) out[base + i] = in[base + i] - sh;
    % else:
    const float inv = 1.0f / s;
    for (int i = 0; i < head; ++i) out[base + i] *= inv;
    for (int v = 0; v < nv; ++v) v_out[v] *= inv;
    for (int i = tail; i < ${A}; ++i) out[base + i] *= inv;
    % endif
}
<% return %>
% endif
    ${ct} m = -INFINITY;
    for (int i = lid; i < ${A}; i += ${WG}) {
        const ${ct} x = ${load(t, "in", "base + (long)i * %d" % I)};
        m = x > m ? x : m;
    }
% if WG > 1:
    scratch[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    % for s in [WG >> i for i in range(1, 16) if WG >> i >= 1]:
    if (lid < ${s}) scratch[lid] = fmax(scratch[lid], scratch[lid + ${s}]);
    barrier(CLK_LOCAL_MEM_FENCE);
    % endfor
    m = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
% endif
    ${ct} s = 0;
    for (int i = lid; i < ${A}; i += ${WG}) {
        const long off = base + (long)i * ${I};
        const ${ct} e = ${expf}(${load(t, "in", "off")} - m);
% if not log:
        ${store(t, "out", "off", "e")}
% endif
        s += e;
    }
% if WG > 1:
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    % for k in [WG >> i for i in range(1, 16) if WG >> i >= 1]:
    if (lid < ${k}) scratch[lid] += scratch[lid + ${k}];
    barrier(CLK_LOCAL_MEM_FENCE);
    % endfor
    s = scratch[0];
% endif
% if log:
    const ${ct} sh = m + log(s);
    for (int i = lid; i < ${A}; i += ${WG}) {
        const long off = base + (long)i * ${I};
        ${store(t, "out", "off", load(t, "in", "off") + " - sh")}
    }
% else:
    const ${ct} inv = (${ct})1 / s;
    for (int i = lid; i < ${A}; i += ${WG}) {
        const long off = base + (long)i * ${I};
        ${store(t, "out", "off", load(t, "out", "off") + " * inv")}
    }
% endif
}
