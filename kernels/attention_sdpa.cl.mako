## Fused ScaledDotProductAttention: one work-item computes RQ query rows of one (batch, head): scores against
## every key (8 keys per step from the transposed, zero-padded key kt [Gk, E, SP]; with KD, for a query row or
## two as a decode step has, one key at a time read where it lies, 8 of E per vector), scale, mask / causal, a
## numerically stable softmax (row maximum subtracted; a row with every key masked yields zeros), then the
## probabilities times V, W columns of V per vector load. Rows are kept in private memory (or in the global
## scratch ``scr`` when SCR), so nothing is shared and there are no barriers.
## params: qt, vt, ot (Types), mt (mask Type or None), st (sink Type or None), scale (C literal or None: read
## from the scale buffer of type qt), causal, L, S, SP, E, Ev, W (1, 4, 8), NV (vectors per chunk), RQ, NRB,
## WG, SCR, bd (output batch dims), offs (list of (var, [(div, stride) per batch dim])), mL, mS (mask row and
## key strides), sL (sink row stride), ft (compute type: float or double), qrs, vrs, qoff, voff (query and
## value row strides and first elements: E, Ev and 0, or others where they are read where they lie), KD (key
## read directly, E a multiple of 8: kt is then the key itself, of Type kdt, rows krs apart, first at koff)
<%
def vty(w):
    return ft if w == 1 else f"{ft}{w}"
def vload(t, ptr, off, w):
    if w == 1:
        return f"({ft})({load(t, ptr, off)})"
    if t.name == "f16":
        return f"vload_half{w}(0, {ptr} + {off})"
    return f"*(__global const {ctype(t)}{w} *)({ptr} + {off})"
def vstore(t, ptr, off, val, w):
    if w == 1:
        return store(t, ptr, off, val)
    if t.name == "f16":
        return f"vstore_half{w}_rte({val}, 0, {ptr} + {off});"
    return f"*(__global {ctype(t)}{w} *)({ptr} + {off}) = {val};"
NEG = "(-INFINITY)" if ft == "float" else "(-(double)INFINITY)"
SP8 = SP // 8
CH = W * NV
SPACE = "__global" if SCR else "__private"
comps = ["s" + "01234567"[c] for c in range(8)]
def qidx(r):
    return "qo + (long)i" + str(r) + " * " + str(qrs) + " + e"
def midx(r):
    return "mo + (long)i" + str(r) + " * " + str(mL) + " + (long)j * " + str(mS)
def sidx(r):
    return "so + (long)i" + str(r) + " * " + str(sL)
def oidx(r, n):
    return "oo + (long)(ib + " + str(r) + ") * " + str(Ev) + " + c0 + " + str(n * W)
%>
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(__global const ${ctype(qt)} *restrict q, __global const ${ctype(kdt) if KD else ft} *restrict kt,
        __global const ${ctype(vt)} *restrict v
% if mt is not None:
        , __global const ${ctype(mt)} *restrict mk
% endif
% if scale is None:
        , __global const ${ctype(qt)} *restrict scl
% endif
% if st is not None:
        , __global const ${ctype(st)} *restrict snk
% endif
% if SCR:
        , __global ${ft} *restrict scr
% endif
        , __global ${ctype(ot)} *restrict out) {
    const int rb = get_global_id(0);
    const int g = get_global_id(1);
    if (rb >= ${NRB}) return;
    const int ib = rb * ${RQ};
    long qo = ${qoff}, ko = ${koff if KD else 0}, vo = ${voff}, mo = 0, so = 0;
% if bd:
    {
        int rem = g;
    % for d in reversed(range(len(bd))):
        {
            const int c = rem % ${bd[d]}; rem /= ${bd[d]};
        % for var, spec in offs:
            % if spec[d][1]:
            ${var} += (long)(c${(" / " + str(spec[d][0])) if spec[d][0] > 1 else ""}) * ${spec[d][1]};
            % endif
        % endfor
        }
    % endfor
    }
% endif
% if scale is None:
    const ${ft} scale = (${ft})(${load(qt, "scl", "0")});
% else:
    const ${ft} scale = ${scale};
% endif
% if SCR:
    __global ${ft}8 *s8 = (__global ${ft}8 *)(scr + ((long)g * ${NRB} + rb) * ${RQ * SP});
    __global ${ft} *sf = scr + ((long)g * ${NRB} + rb) * ${RQ * SP};
% else:
    ${ft}8 s8[${RQ * SP8}];
    __private ${ft} *sf = (__private ${ft} *)s8;
% endif
    ${ft} qp[${RQ * E}];
% for r in range(RQ):
    const int i${r} = ib + ${r} < ${L} ? ib + ${r} : ${L - 1};
    for (int e = 0; e < ${E}; ++e) qp[${r * E} + e] = (${ft})(${load(qt, "q", qidx(r))}) * scale;
% endfor
% if causal:
    const int jend = ((ib + ${RQ - 1}) / 8 + 1) * 8 < ${SP} ? ((ib + ${RQ - 1}) / 8 + 1) * 8 : ${SP};
    const int jv = ib + ${RQ} < ${S} ? ib + ${RQ} : ${S};
% else:
    const int jend = ${SP};
    const int jv = ${S};
% endif
% if KD:
    for (int j = 0; j < jend; ++j) {
        if (j >= ${S}) {                      /* padding keys: masked below */
    % for r in range(RQ):
            sf[${r * SP} + j] = 0;
    % endfor
            continue;
        }
        __global const ${ctype(kdt)} *kp = kt + ko + (long)j * ${krs};
    % for r in range(RQ):
        ${ft}8 a${r} = (${ft}8)(0);
    % endfor
        for (int e = 0; e < ${E}; e += 8) {
<% kload = "vload_half8(0, kp + e)" if kdt.name == "f16" else "convert_%s8(%s)" % (ft, vload_u(ctype(kdt), 8, "(kp + e)")) %>
            const ${ft}8 kv = ${kload};
    % for r in range(RQ):
            a${r} = a${r} + ${vload_u(ft, 8, "(qp + %d + e)" % (r * E), space="__private")} * kv;
    % endfor
        }
    % for r in range(RQ):
        sf[${r * SP} + j] = ${" + ".join("a%d.%s" % (r, c) for c in comps)};
    % endfor
    }
% else:
    for (int j0 = 0; j0 < jend; j0 += 8) {
% for r in range(RQ):
        ${ft}8 a${r} = (${ft}8)(0);
% endfor
        __global const ${ft} *kp = kt + ko + j0;
        for (int e = 0; e < ${E}; ++e) {
            const ${ft}8 kv = *(__global const ${ft}8 *)(kp + (long)e * ${SP});
% for r in range(RQ):
            a${r} = a${r} + qp[${r * E} + e] * kv;
% endfor
        }
% for r in range(RQ):
        s8[${r * SP8} + j0 / 8] = a${r};
% endfor
    }
% endif
% for r in range(RQ):
    ${ft} inv${r};
    {
        ${SPACE} ${ft} *row = sf + ${r * SP};
        ${SPACE} ${ft}8 *row8 = s8 + ${r * SP8};
    % if mt is not None:
        for (int j = 0; j < ${S}; ++j) {
        % if mt.name == "boolean":
            if (!mk[${midx(r)}]) row[j] = ${NEG};
        % else:
            row[j] += (${ft})(${load(mt, "mk", midx(r))});
        % endif
        }
    % endif
    % if SP > S:
        for (int j = ${S}; j < ${SP}; ++j) row[j] = ${NEG};
    % endif
    % if causal:
        for (int j = i${r} + 1; j < ${S}; ++j) row[j] = ${NEG};
    % endif
        ${ft}8 mv = (${ft}8)(${NEG});
        for (int j8 = 0; j8 < jend / 8; ++j8) {
            const ${ft}8 x = row8[j8];
            mv = x > mv ? x : mv;
        }
        ${ft} m = mv.s0;
    % for c in comps[1:]:
        m = mv.${c} > m ? mv.${c} : m;
    % endfor
    % if st is not None:
        const ${ft} sk = (${ft})(${load(st, "snk", sidx(r))});
        m = sk > m ? sk : m;
    % endif
        if (m == ${NEG}) m = 0;
        ${ft}8 sv = (${ft}8)(0);
        for (int j8 = 0; j8 < jend / 8; ++j8) {
            const ${ft}8 x = exp(row8[j8] - m);
            row8[j8] = x;
            sv = sv + x;
        }
        ${ft} sum = ${" + ".join("sv." + c for c in comps)};
    % if st is not None:
        sum += exp(sk - m);
    % endif
        inv${r} = sum > 0 ? (${ft})1 / sum : (${ft})0;
    }
% endfor
    const long oo = (long)g * ${L * Ev};
    for (int c0 = 0; c0 < ${Ev}; c0 += ${CH}) {
% for r in range(RQ):
    % for n in range(NV):
        ${vty(W)} o${r}_${n} = (${vty(W)})(0);
    % endfor
% endfor
        for (int j = 0; j < jv; ++j) {
            const long vj = vo + (long)j * ${vrs} + c0;
% for n in range(NV):
            const ${vty(W)} v${n} = ${vload(vt, "v", "vj + " + str(n * W), W)};
% endfor
% for r in range(RQ):
            const ${ft} p${r} = sf[${r * SP} + j];
    % for n in range(NV):
            o${r}_${n} = o${r}_${n} + p${r} * v${n};
    % endfor
% endfor
        }
% for r in range(RQ):
        if (ib + ${r} < ${L}) {
    % for n in range(NV):
            ${vstore(ot, "out", oidx(r, n), "o" + str(r) + "_" + str(n) + " * inv" + str(r), W)}
    % endfor
        }
% endfor
    }
}
