## Recurrent linear attention (LinearAttention): one work-item per (value column m, kv head h, batch b) keeps
## its state column S[:, m] (DK floats) in private memory and walks the T steps: gate, delta correction,
## rank-1 update, then the G query heads of the group read it.
## params: qt, kt, vt, ot, stt (state out Type), pt (past Type or None), dt (decay Type or None), DPD (decay
## per key dim), bt (beta Type or None), BW (beta last dim), B, T, HQ, HKV, DK, DV, scale (C literal), WG
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(__global const ${ctype(qt)} *restrict q, __global const ${ctype(kt)} *restrict k,
        __global const ${ctype(vt)} *restrict v
% if pt is not None:
        , __global const ${ctype(pt)} *restrict past
% endif
% if dt is not None:
        , __global const ${ctype(dt)} *restrict decay
% endif
% if bt is not None:
        , __global const ${ctype(bt)} *restrict beta
% endif
        , __global ${ctype(ot)} *restrict out, __global ${ctype(stt)} *restrict state) {
    const int m = get_global_id(0);
    const int h = get_global_id(1);
    const int b = get_global_id(2);
    if (m >= ${DV}) return;
    float S[${DK}];
    const long s0 = ((long)b * ${HKV} + h) * ${DK * DV} + m;
    for (int d = 0; d < ${DK}; ++d) {
% if pt is not None:
        S[d] = (float)(${load(pt, "past", "s0 + (long)d * %d" % DV)});
% else:
        S[d] = 0.0f;
% endif
    }
    for (int t = 0; t < ${T}; ++t) {
        const long bt_ = (long)b * ${T} + t;
        const long kr = bt_ * ${HKV * DK} + (long)h * ${DK};
% if dt is not None:
    % if DPD:
        for (int d = 0; d < ${DK}; ++d) S[d] *= exp((float)(${load(dt, "decay", "kr + d")}));
    % else:
        {
            const float gt = exp((float)(${load(dt, "decay", "bt_ * %d + h" % HKV)}));
            for (int d = 0; d < ${DK}; ++d) S[d] *= gt;
        }
    % endif
% endif
        float u = (float)(${load(vt, "v", "bt_ * %d + (long)h * %d + m" % (HKV * DV, DV))});
% if bt is not None:
        {
            float r = 0.0f;
            for (int d = 0; d < ${DK}; ++d) r += S[d] * (float)(${load(kt, "k", "kr + d")});
            const float be = (float)(${load(bt, "beta", "bt_ * %d + %s" % (BW, "0" if BW == 1 else "h"))});
            u = be * (u - r);
        }
% endif
        for (int d = 0; d < ${DK}; ++d) S[d] += (float)(${load(kt, "k", "kr + d")}) * u;
        for (int g = 0; g < ${HQ // HKV}; ++g) {
            const int hq = h * ${HQ // HKV} + g;
            const long qr = bt_ * ${HQ * DK} + (long)hq * ${DK};
            float acc = 0.0f;
            for (int d = 0; d < ${DK}; ++d) acc += (float)(${load(qt, "q", "qr + d")}) * S[d];
            ${store(ot, "out", "(bt_ * %d + hq) * %d + m" % (HQ, DV), "acc * " + scale)}
        }
    }
    for (int d = 0; d < ${DK}; ++d) {
        ${store(stt, "state", "s0 + (long)d * %d" % DV, "S[d]")}
    }
}
