## Copy an [N, C, D, H, W] tensor into a zero-filled [N, C, PD, PH, PW] buffer: element z of a padded axis
## reads source (z - off) / up when that is a whole in-range index (up > 1 interleaves zeros, as transposed
## convolutions need), else 0. A work-item writes one destination row: global (PH, N*C*PD).
## Template params: t (Type), spread (bool: up along W > 1). The sizes are int kernel arguments, so one
## kernel serves every layer (one PoCL compile): rows (N*C*PD), D, H, W (source), PD, PH, PW (destination),
## OD, OH, OW (offsets), UD, UH, UW (up), LO, HI (destination columns that can hold source data: [LO, HI)).
__kernel void ${name}(${signature}) {
    const int zh = get_global_id(0);
    const int r = get_global_id(1);
    if (zh >= PH || r >= rows) return;
    const int zd = r % PD;
    const long nc = r / PD;
    __global ${ctype(t)} *o = out + ((long)r * PH + zh) * PW;
    const int sd = zd - OD;
    const int sh = zh - OH;
    const int ok = sd >= 0 && sh >= 0 && sd / UD < D && sh / UH < H && (sd % UD) == 0 && (sh % UH) == 0
                   && HI > LO;
    if (!ok) {
        for (int z = 0; z < PW; ++z) { ${store(t, "o", "z", "0")} }
        return;
    }
    __global const ${ctype(t)} *xr = x + ((nc * D + sd / UD) * H + sh / UH) * W;
    for (int z = 0; z < LO; ++z) { ${store(t, "o", "z", "0")} }
% if not spread:
    for (int z = LO; z < HI; ++z) { ${store(t, "o", "z", load(t, "xr", "z - OW"))} }
% else:
    for (int z = LO; z < HI; ++z) {
        const int s = z - OW;
        ${store(t, "o", "z", "(s %% UW) == 0 ? %s : 0" % load(t, "xr", "s / UW"))}
    }
% endif
    for (int z = max(HI, LO); z < PW; ++z) { ${store(t, "o", "z", "0")} }
}
