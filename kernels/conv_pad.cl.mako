## Copy an [N, C, D, H, W] tensor into a zero-filled [N, C, PD, PH, PW] buffer: element z of a padded axis
## reads source (z - off) / up when that is a whole in-range index (up > 1 interleaves zeros, as transposed
## convolutions need), else 0. One work-item per destination element.
## params: t (Type), n_total (destination elements), src (D, H, W), dst (PD, PH, PW), off (3), up (3)
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict x) {
    const long gid = get_global_id(0);
    if (gid >= ${n_total}) return;
    long r = gid;
    const int zw = (int)(r % ${dst[2]}); r /= ${dst[2]};
    const int zh = (int)(r % ${dst[1]}); r /= ${dst[1]};
    const int zd = (int)(r % ${dst[0]}); r /= ${dst[0]};
    const long nc = r;
    ${cctype(t)} v = 0;
% for ax, z in enumerate(("zd", "zh", "zw")):
    const int s${ax} = ${z} - (${off[ax]});
% endfor
    if (s0 >= 0 && s1 >= 0 && s2 >= 0
% for ax in range(3):
    % if up[ax] > 1:
        && (s${ax} % ${up[ax]}) == 0
    % endif
        && s${ax} / ${up[ax]} < ${src[ax]}
% endfor
       ) {
        const long si = ((nc * ${src[0]} + s0 / ${up[0]}) * ${src[1]} + s1 / ${up[1]}) * ${src[2]} + s2 / ${up[2]};
        v = ${load(t, "x", "si")};
    }
    ${store(t, "out", "gid", "v")}
}
