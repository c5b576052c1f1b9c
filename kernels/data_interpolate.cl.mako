## Interpolate with per-axis tap tables made at compile time: for each resized axis a, output coordinate c
## reads taps source indices tidx[off_a + c*T_a + k] with weights tw[...]. get_global_id(0) walks the innermost
## output dimension, get_global_id(1) the other dimensions (flattened).
## params: t (Type), idx, dims: list of (D_out, istride, axis_table or None) with axis_table = (off, T), R (rows),
## nearest (no weights: a pure gather). Integer outputs truncate toward zero (as ONNX Runtime), clamped to the type.
<%
ct = cctype(t)
acc_t = "double" if t.name == "f64" else "float"
res = [k for k, d in enumerate(dims) if d[2] is not None]
last = len(dims) - 1
%>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict in,
                      __global const int *restrict tidx, __global const float *restrict tw) {
    const ${idx} c${last} = get_global_id(0);
    const ${idx} r = get_global_id(1);
    if (c${last} >= ${dims[last][0]} || r >= ${R}) return;
    const ${idx} gid = r * ${dims[last][0]} + c${last};
    ${idx} base = 0;
% if last > 0:
    ${idx} rem = r;
% endif
% for k in reversed(range(last)):
<% D, ist, tab = dims[k] %>\
    % if k > 0:
    const ${idx} c${k} = rem % ${D}; rem /= ${D};
    % else:
    const ${idx} c${k} = rem;
    % endif
% endfor
% for k in range(len(dims)):
    % if dims[k][2] is None and dims[k][1] != 0:
    base += c${k} * ${dims[k][1]};
    % endif
% endfor
% if nearest:
    % for k in res:
    base += (${idx})tidx[${dims[k][2][0]} + c${k}] * ${dims[k][1]};
    % endfor
    ${store(t, "out", "gid", load(t, "in", "base"))}
% else:
    ${acc_t} acc = 0;
    % for j, k in enumerate(res):
<% off, T = dims[k][2] %>\
    #pragma unroll
    for (int k${k} = 0; k${k} < ${T}; ++k${k}) {
        const ${idx} o${k} = ${"base" if j == 0 else "o%d" % res[j - 1]} + (${idx})tidx[${off} + c${k} * ${T} + k${k}] * ${dims[k][1]};
        const ${acc_t} w${k} = ${"" if j == 0 else "w%d * " % res[j - 1]}(${acc_t})tw[${off} + c${k} * ${T} + k${k}];
    % endfor
        acc += w${res[-1]} * (${acc_t})(${load(t, "in", "o%d" % res[-1])});
    % for k in res:
    }
    % endfor
    % if t.is_real():
    ${store(t, "out", "gid", "(%s)acc" % ct)}
    % else:
<% import numpy as _np; info = _np.iinfo(t.dtype) if t.name != "boolean" else None %>\
        % if info is not None and info.bits <= 32:
    ${store(t, "out", "gid", "(%s)fmin(fmax(acc, (%s)%d), (%s)%d)" % (ct, acc_t, info.min, acc_t, info.max))}
        % else:
    ${store(t, "out", "gid", "(%s)acc" % ct)}
        % endif
    % endif
% endif
}
