## NonMaxSuppression in bounded form, three phases over boxes [B, N, 4] and scores [B, C, N]:
## "rank": one work-item per (b, c, box): the rank of a candidate box by score (ties: lower index first) into
##   order[bc, rank]; "select": one work-item per (b, c): greedy IoU suppression into sel[bc, k], cnt[bc];
## "gather": one work-item: rows (b, c, box) and (b, c, score) in batch-class order, or by score when
##   descending; rows past the count are -1; the count into valid[0] and length[0].
## params: phase, bt, st, it (index type), mt, ft_iou, ft_st (types of the optional scalar inputs or None),
##   B, C, N, M, center, descending
<%
F = "double" if (bt.name == "f64" or st.name == "f64") else "float"
def scal(t, ptr):
    return f"(({F}){load(t, ptr, '0')})"
%>
% if phase == "rank":
__kernel void ${name}(__global const ${ctype(st)} *restrict scores,
${f"__global const {ctype(ft_st)} *restrict score_t," if ft_st is not None else ""}
                      __global int *restrict order) {
    const int gid = get_global_id(0);
    if (gid >= ${B * C * N}) return;
    const int bc = gid / ${N}, i = gid % ${N};
    __global const ${ctype(st)} *s = scores + (long)bc * ${N};
    const ${F} si = (${F})(${load(st, "s", "i")});
% if ft_st is not None:
    const ${F} thr = ${scal(ft_st, "score_t")};
    if (!(si > thr)) return;
% endif
    int r = 0;
    for (int j = 0; j < ${N}; ++j) {
        const ${F} sj = (${F})(${load(st, "s", "j")});
% if ft_st is not None:
        if (!(sj > thr)) continue;
% endif
        r += (sj > si) || (sj == si && j < i);
    }
    order[bc * ${N} + r] = i;
}
% elif phase == "select":
static void ${name}_box(__global const ${ctype(bt)} *p, ${F} *x0, ${F} *y0, ${F} *x1, ${F} *y1) {
    const ${F} a = (${F})(${load(bt, "p", "0")}), b = (${F})(${load(bt, "p", "1")});
    const ${F} c = (${F})(${load(bt, "p", "2")}), d = (${F})(${load(bt, "p", "3")});
% if center:
    *x0 = a - c / 2; *x1 = a + c / 2; *y0 = b - d / 2; *y1 = b + d / 2;
% else:
    *y0 = fmin(a, c); *y1 = fmax(a, c); *x0 = fmin(b, d); *x1 = fmax(b, d);
% endif
}

__kernel void ${name}(__global const ${ctype(bt)} *restrict boxes, __global const ${ctype(st)} *restrict scores,
${f"__global const {ctype(mt)} *restrict max_out," if mt is not None else ""}
${f"__global const {ctype(ft_iou)} *restrict iou_t," if ft_iou is not None else ""}
${f"__global const {ctype(ft_st)} *restrict score_t," if ft_st is not None else ""}
                      __global const int *restrict order, __global int *restrict sel, __global int *restrict cnt) {
    const int bc = get_global_id(0);
    if (bc >= ${B * C}) return;
    const int b = bc / ${C};
    __global const ${ctype(st)} *s = scores + (long)bc * ${N};
    int ncand = 0;
% if ft_st is not None:
    const ${F} thr = ${scal(ft_st, "score_t")};
    for (int j = 0; j < ${N}; ++j) ncand += ((${F})(${load(st, "s", "j")}) > thr);
% else:
    ncand = ${N};
% endif
% if mt is not None:
    const long mo = (long)max_out[0];
% else:
    const long mo = 0;
% endif
% if ft_iou is not None:
    const ${F} it = ${scal(ft_iou, "iou_t")};
% else:
    const ${F} it = 0;
% endif
    int kept = 0;
    for (int r = 0; r < ncand && kept < mo; ++r) {
        const int i = order[bc * ${N} + r];
        ${F} ax0, ay0, ax1, ay1;
        ${name}_box(boxes + ((long)b * ${N} + i) * 4, &ax0, &ay0, &ax1, &ay1);
        const ${F} aa = (ax1 - ax0) * (ay1 - ay0);
        int ok = 1;
        for (int k = 0; k < kept && ok; ++k) {
            const int j = sel[bc * ${N} + k];
            ${F} bx0, by0, bx1, by1;
            ${name}_box(boxes + ((long)b * ${N} + j) * 4, &bx0, &by0, &bx1, &by1);
            const ${F} iw = fmin(ax1, bx1) - fmax(ax0, bx0), ih = fmin(ay1, by1) - fmax(ay0, by0);
            if (iw <= 0 || ih <= 0) continue;
            const ${F} inter = iw * ih, ba = (bx1 - bx0) * (by1 - by0);
            const ${F} uni = aa + ba - inter;
            if (aa <= 0 || ba <= 0 || uni <= 0) continue;
            if (inter / uni > it) ok = 0;
        }
        if (ok) sel[bc * ${N} + kept++] = i;
    }
    cnt[bc] = kept;
}
% else:
__kernel void ${name}(__global const ${ctype(st)} *restrict scores, __global const int *restrict sel,
                      __global const int *restrict cnt, __global int *restrict flat,
                      __global ${ctype(it)} *restrict out_idx, __global ${ctype(st)} *restrict out_scores,
                      __global ${ctype(it)} *restrict valid, __global long *restrict length) {
    if (get_global_id(0) != 0) return;
    int pos = 0;
    for (int bc = 0; bc < ${B * C}; ++bc)
        for (int k = 0; k < cnt[bc]; ++k) flat[pos++] = bc * ${N} + sel[bc * ${N} + k];
    for (int k = 0; k < pos; ++k) {
        const int f = flat[k];
        int r = k;
% if descending:
        const ${F} sk = (${F})(${load(st, "scores", "f")});
        r = 0;
        for (int j = 0; j < pos; ++j) {
            const ${F} sj = (${F})(${load(st, "scores", "flat[j]")});
            r += (sj > sk) || (sj == sk && j < k);
        }
% endif
        const int bc = f / ${N}, i = f % ${N};
        out_idx[r * 3] = (${ctype(it)})(bc / ${C});
        out_idx[r * 3 + 1] = (${ctype(it)})(bc % ${C});
        out_idx[r * 3 + 2] = (${ctype(it)})i;
        ${store(st, "out_scores", "r * 3", f"({F})(bc / {C})")}
        ${store(st, "out_scores", "r * 3 + 1", f"({F})(bc % {C})")}
        ${store(st, "out_scores", "r * 3 + 2", load(st, "scores", "f"))}
    }
    for (int k = pos; k < ${M}; ++k) {
        out_idx[k * 3] = -1; out_idx[k * 3 + 1] = -1; out_idx[k * 3 + 2] = -1;
        ${store(st, "out_scores", "k * 3", "-1")}
        ${store(st, "out_scores", "k * 3 + 1", "-1")}
        ${store(st, "out_scores", "k * 3 + 2", "-1")}
    }
    valid[0] = (${ctype(it)})pos;
    length[0] = pos;
}
% endif
