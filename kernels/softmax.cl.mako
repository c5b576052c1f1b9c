## Softmax / LogSoftmax along one axis, numerically stable (the row maximum is subtracted): one work-group
## per row; passes: maximum, sum of exponentials (softmax stores them), then scale (or x - max - log(sum)).
## params: t (Type), A (axis length), I (inner stride: elements after the axis), rows, WG, log (bool)
<%
ct = cctype(t)
def red(var, op):
    return op
%>
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict out) {
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
        const ${ct} e = exp(${load(t, "in", "off")} - m);
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
