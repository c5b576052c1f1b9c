## Generic convolution, one work-item per output element: forward or transposed (backprop data), any group
## count, 1-3 spatial axes folded into D, H, W, any element type (weights read in place, any layout given by
## strides). Correct for everything, fast for nothing: the tiled kernels cover the common cases.
## params: t, wt (Types), n_total, N, C, D, H, W (input), OC, OD, OH, OW, KD, KH, KW, S (3), Dl (3), P (3:
## pads begin), ICg, OCg, wg, wo, wi (weight element strides of group, out channel, in channel within a
## group), transposed (bool), bias, res (bool), bt, rt (Types of bias / residual), act (C expr or None)
<% KK = KD * KH * KW %>
__kernel void ${name}(${signature}) {
    const long gid = get_global_id(0);
    if (gid >= ${n_total}) return;
    long r = gid;
    const int ow = (int)(r % ${OW}); r /= ${OW};
    const int oh = (int)(r % ${OH}); r /= ${OH};
    const int od = (int)(r % ${OD}); r /= ${OD};
    const int oc = (int)(r % ${OC}); r /= ${OC};
    const long n = r;
    const int g = oc / ${OCg};
    const int ocl = oc % ${OCg};
    float acc = 0.0f;
    for (int ic = 0; ic < ${ICg}; ++ic) {
        __global const ${ctype(t)} *xc = x + (n * ${C} + g * ${ICg} + ic) * ${D * H * W};
        const long wbase = (long)g * ${wg} + (long)ocl * ${wo} + (long)ic * ${wi};
        for (int kd = 0; kd < ${KD}; ++kd) {
% if transposed:
            const int td = od + ${P[0]} - kd * ${Dl[0]};
            if (td < 0 || td % ${S[0]}) continue;
            const int id = td / ${S[0]};
% else:
            const int id = od * ${S[0]} + kd * ${Dl[0]} - ${P[0]};
% endif
            if (id < 0 || id >= ${D}) continue;
            for (int kh = 0; kh < ${KH}; ++kh) {
% if transposed:
                const int th = oh + ${P[1]} - kh * ${Dl[1]};
                if (th < 0 || th % ${S[1]}) continue;
                const int ih = th / ${S[1]};
% else:
                const int ih = oh * ${S[1]} + kh * ${Dl[1]} - ${P[1]};
% endif
                if (ih < 0 || ih >= ${H}) continue;
                for (int kw = 0; kw < ${KW}; ++kw) {
% if transposed:
                    const int tw = ow + ${P[2]} - kw * ${Dl[2]};
                    if (tw < 0 || tw % ${S[2]}) continue;
                    const int iw = tw / ${S[2]};
% else:
                    const int iw = ow * ${S[2]} + kw * ${Dl[2]} - ${P[2]};
% endif
                    if (iw < 0 || iw >= ${W}) continue;
                    const float xv = ${load(t, "xc", "(id * %d + ih) * %d + iw" % (H, W))};
                    const float wv = ${load(wt, "w", "wbase + (kd * %d + kh) * %d + kw" % (KH, KW))};
                    acc = acc + xv * wv;
                }
            }
        }
    }
    float a0 = acc;
% if bias:
    a0 += ${load(bt, "bias", "oc")};
% endif
% if res:
    a0 += ${load(rt, "res", "gid")};
% endif
% if act:
    a0 = ${act};
% endif
    ${store(t, "out", "gid", "a0")}
}
