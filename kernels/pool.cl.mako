## Pooling over the spatial axes (folded into D, H, W), one work-item per output element.
## mode: "max" / "avg" (fixed windows: kernel K, strides S, dilations Dl, pads begin P, pads end PE) or
## "amax" / "aavg" (adaptive bins: [o*in/out, ceil((o+1)*in/out)) ). Max writes indices too when idx_t is
## given: the flat position in the input, counted from axis ``axis`` (0: whole tensor, 1: per image, 2+:
## per plane). Avg divides by the taps inside the input (exclude_pad) or inside input + explicit pads.
## Grid: (OW, OH, NR = N*C*OD), each rounded up to the work-group; no 64-bit index division.
## params: mode, t (Type), idx_t (Type|None), NR, C, D, H, W, OD, OH, OW, K, S, Dl, P, PE (3 each),
## exclude_pad (bool), clip_count (bool: with padding counted, clip windows to input + pads as ceil_torch
## does, else divide by the whole kernel), axis
<%
IN = [D, H, W]
OUT = [OD, OH, OW]
adaptive = mode in ("amax", "aavg")
is_max = mode in ("max", "amax")
ax = ["d", "h", "w"]
%>
<%def name="nest(checked)">
% for i in range(3):
    % if adaptive:
    for (int i${ax[i]} = b${ax[i]}; i${ax[i]} < e${ax[i]}; ++i${ax[i]}) {
    % else:
    for (int k${ax[i]} = 0; k${ax[i]} < ${K[i]}; ++k${ax[i]}) {
        const int i${ax[i]} = b${ax[i]} + k${ax[i]} * ${Dl[i]};
        % if checked:
        if (i${ax[i]} < 0 || i${ax[i]} >= ${IN[i]}) continue;
        % endif
    % endif
% endfor
        const int pos = (id * ${H} + ih) * ${W} + iw;
        const ${cctype(t)} v = ${load(t, "xp", "pos")};
% if is_max:
    % if t.is_real():
        arg = v > best ? pos : arg;
        best = v > best ? v : best;
    % else:
        if (arg < 0 || v > best) { best = v; arg = pos; }
    % endif
% else:
        acc += v;
    % if adaptive or (exclude_pad and checked):
        cnt += 1;
    % endif
% endif
% for i in range(3):
    }
% endfor
</%def>
__kernel void ${name}(__global ${ctype(t)} *restrict out
% if idx_t is not None:
                      , __global ${ctype(idx_t)} *restrict idx
% endif
                      , __global const ${ctype(t)} *restrict x) {
    const int ow = get_global_id(0);
    const int oh = get_global_id(1);
    const int r = get_global_id(2);
    if (ow >= ${OW} || oh >= ${OH} || r >= ${NR}) return;
    const int od = r % ${OD};
    const long nc = r / ${OD};
    const long gid = ((long)r * ${OH} + oh) * ${OW} + ow;
    __global const ${ctype(t)} *xp = x + nc * ${D * H * W};
% for i in range(3):
    % if adaptive:
    const int b${ax[i]} = (o${ax[i]} * ${IN[i]}) / ${OUT[i]};
    const int e${ax[i]} = ((o${ax[i]} + 1) * ${IN[i]} + ${OUT[i] - 1}) / ${OUT[i]};
    % else:
    const int b${ax[i]} = o${ax[i]} * ${S[i]} - ${P[i]};
    % endif
% endfor
% if is_max:
    ${cctype(t)} best = ${lit(float("-inf"), t) if t.is_real() else "0"};
    int arg = -1;
% else:
    float acc = 0.0f;
    % if not adaptive and not exclude_pad and not clip_count:
    const int cnt = ${K[0] * K[1] * K[2]};    // padding counted: the whole kernel
    % elif not adaptive and not exclude_pad:
    int cnt = 1;    // taps inside input + explicit pads (AvgPool has no dilations)
        % for i in range(3):
    cnt *= max(0, min(b${ax[i]} + ${K[i]}, ${IN[i] + PE[i]}) - max(b${ax[i]}, ${-P[i]}));
        % endfor
    % else:
    int cnt = 0;
    % endif
% endif
% if adaptive:
${nest(True)}
% else:
    if (${" && ".join("b%s >= 0 && b%s + %d < %d" % (ax[i], ax[i], (K[i] - 1) * Dl[i], IN[i]) for i in range(3))}) {
    % if not is_max and exclude_pad:
        cnt = ${K[0] * K[1] * K[2]};
    % endif
${nest(False)}
    } else {
${nest(True)}
    }
% endif
% if is_max:
    ${store(t, "out", "gid", "best")}
    % if idx_t is not None:
        % if axis == 0:
    idx[gid] = (${ctype(idx_t)})(nc * ${D * H * W} + (arg < 0 ? 0 : arg));
        % elif axis == 1:
    idx[gid] = (${ctype(idx_t)})((nc % ${C}) * ${D * H * W} + (arg < 0 ? 0 : arg));
        % else:
    idx[gid] = (${ctype(idx_t)})(arg < 0 ? 0 : arg);
        % endif
    % endif
% else:
    ${store(t, "out", "gid", "acc / (float)(cnt > 0 ? cnt : 1)")}
% endif
}
