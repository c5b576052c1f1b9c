## Copy an [N, C, D, H, W] tensor into a zero-filled [N, C, PD, PH, PW] buffer: element z of a padded axis
## reads source (z - off) / up when that is a whole in-range index (up > 1 interleaves zeros, as transposed
## convolutions need), else 0. A work-item writes one destination row: global (PH, N*C*PD).
## params: t (Type), rows (N*C*PD), src (D, H, W), dst (PD, PH, PW), off (3), up (3)
<%
W, PW, ow, uw = src[2], dst[2], off[2], up[2]
# destination columns that can hold source data: [lo, hi)
lo = max(ow, 0)
hi = min(PW, ow + (W - 1) * uw + 1)
%>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict x) {
    const int zh = get_global_id(0);
    const int r = get_global_id(1);
    if (zh >= ${dst[1]}) return;
    const int zd = r % ${dst[0]};
    const long nc = r / ${dst[0]};
    __global ${ctype(t)} *o = out + ((long)r * ${dst[1]} + zh) * ${PW};
    const int sd = zd - (${off[0]});
    const int sh = zh - (${off[1]});
    int ok = sd >= 0 && sh >= 0 && sd / ${up[0]} < ${src[0]} && sh / ${up[1]} < ${src[1]};
% if up[0] > 1:
    ok = ok && (sd % ${up[0]}) == 0;
% endif
% if up[1] > 1:
    ok = ok && (sh % ${up[1]}) == 0;
% endif
% if hi <= lo:
    ok = 0;
% endif
    if (!ok) {
        for (int z = 0; z < ${PW}; ++z) { ${store(t, "o", "z", "0")} }
        return;
    }
    __global const ${ctype(t)} *xr = x + ((nc * ${src[0]} + sd / ${up[0]}) * ${src[1]} + sh / ${up[1]}) * ${W};
    for (int z = 0; z < ${lo}; ++z) { ${store(t, "o", "z", "0")} }
% if uw == 1:
    for (int z = ${lo}; z < ${hi}; ++z) { ${store(t, "o", "z", load(t, "xr", "z - (%d)" % ow))} }
% else:
    for (int z = ${lo}; z < ${hi}; ++z) {
        const int s = z - (${ow});
        ${store(t, "o", "z", "(s %% %d) == 0 ? %s : 0" % (uw, load(t, "xr", "s / %d" % uw)))}
    }
% endif
    for (int z = ${max(hi, lo)}; z < ${PW}; ++z) { ${store(t, "o", "z", "0")} }
}
