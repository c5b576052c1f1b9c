## AffineGrid: one work-item per grid point of [N, sp...]: theta[n] (nd x (nd+1)) times (x, y[, z], 1).
## params: t, sp (spatial sizes, in dimension order), align, n (points)
<%
nd = len(sp)
F = "double" if t.name == "f64" else "float"
import math
%>
__kernel void ${name}(__global const ${ctype(t)} *restrict theta, __global ${ctype(t)} *restrict grid) {
    const long gid = get_global_id(0);
    if (gid >= ${n}) return;
    long r = gid;
    ${F} h[${nd + 1}];
% for d in reversed(range(nd)):
    {
        const int i = r % ${sp[d]}; r /= ${sp[d]};
  % if align:
    % if sp[d] == 1:
        h[${nd - 1 - d}] = (${F})-1;
    % else:
        h[${nd - 1 - d}] = (${F})-1 + (${F})(2 * i) / (${F})${sp[d] - 1};
    % endif
  % else:
        h[${nd - 1 - d}] = (${F})-1 + (${F})(2 * i + 1) / (${F})${sp[d]};
  % endif
    }
% endfor
    h[${nd}] = 1;
    const long b = r;
    __global const ${ctype(t)} *th = theta + b * ${nd * (nd + 1)};
    for (int j = 0; j < ${nd}; ++j) {
        ${F} acc = 0;
        for (int k = 0; k <= ${nd}; ++k) acc += (${F})(${load(t, "th", f"j * {nd + 1} + k")}) * h[k];
        ${store(t, "grid", f"gid * {nd} + j", "acc")}
    }
}
