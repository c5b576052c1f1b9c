## Tiled matrix product over a B operand packed into panels (see ovcl/lowering/matmul.py), or read in place
## (b_direct: a row-major f32 B whose rows are whole numbers of aligned vectors, panel p = columns p*TN..).
## Each work-item computes a TM x TN tile of C (TN = NV * VW) in float vector accumulators, looping over K
## unrolled by U. Packed B: for every B batch, ceil(N / TN) panels of Kp x TN floats (zero padded), so that one
## row of a panel is NV aligned vector loads.
## params: a_t, out_t, M, N, K, P (panels), Kp, TM, VW, NV, U, L0, L1, a_rs, a_ks (A row and K strides),
##   a_vec (A rows read as floatU vectors), b_direct, b_rs (B row stride: TN packed, N direct), batch_code (C statements setting long aoff, boff, coff from bz),
##   bias_t / res_t (None or Type), act (C expression over a0 or None), vec_epi (interior tiles: vector loads and stores in the
##   epilogue), vec_act (the activation expression is valid on vectors; else applied per component),
##   vec_store (C row stride N % VW == 0: interior tiles store whole vectors)
<%
TN = NV * VW
fv = "float%d" % VW if VW > 1 else "float"
K4 = K // U * U
def rows():
    return range(TM)
%>
__kernel __attribute__((reqd_work_group_size(${L0}, ${L1}, 1)))
void ${name}(__global const ${ctype(a_t)} *restrict A, __global const float *restrict Bp,
             __global ${ctype(out_t)} *restrict C
% if bias_t is not None:
             , __global const ${ctype(bias_t)} *restrict bias
% endif
% if res_t is not None:
             , __global const ${ctype(res_t)} *restrict res
% endif
) {
    const int p = get_global_id(0);
    const int mb = get_global_id(1);
    const long bz = get_global_id(2);
    if (p >= ${P} || mb * ${TM} >= ${M}) return;
    long aoff = 0, boff = 0, coff = 0;
    ${batch_code}
% if b_direct:
    const __global float *bp = Bp + boff + (long)p * ${TN};
% else:
    const __global float *bp = Bp + boff + (long)p * ${Kp * TN};
% endif
    const int m0 = mb * ${TM};
% for r in rows():
    const __global ${ctype(a_t)} *a${r} = A + aoff + (long)min(m0 + ${r}, ${M - 1}) * ${a_rs};
% endfor
% for r in rows():
    % for v in range(NV):
    ${fv} c${r}_${v} = (${fv})(0.0f);
    % endfor
% endfor
    for (int k = 0; k < ${K4}; k += ${U}) {
% if a_vec:
    % for r in rows():
        const float${U} av${r} = *(const __global float${U} *)(a${r} + k);
    % endfor
% endif
% for u in range(U):
    % for v in range(NV):
        const ${fv} b${u}_${v} = *(const __global ${fv} *)(bp + (long)(k + ${u}) * ${b_rs} + ${v * VW});
    % endfor
    % for r in rows():
        % if a_vec:
        const float x${r}_${u} = av${r}.s${"0123456789abcdef"[u]};
        % else:
        const float x${r}_${u} = ${load(a_t, "a%d" % r, "(k + %d) * %d" % (u, a_ks))};
        % endif
        % for v in range(NV):
        c${r}_${v} = c${r}_${v} + x${r}_${u} * b${u}_${v};
        % endfor
    % endfor
% endfor
    }
% if K4 < K:
    for (int k = ${K4}; k < ${K}; ++k) {
    % for v in range(NV):
        const ${fv} b${v} = *(const __global ${fv} *)(bp + (long)k * ${b_rs} + ${v * VW});
    % endfor
    % for r in rows():
        const float x${r} = ${load(a_t, "a%d" % r, "k * %d" % a_ks)};
        % for v in range(NV):
        c${r}_${v} = c${r}_${v} + x${r} * b${v};
        % endfor
    % endfor
    }
% endif
    const int n0 = p * ${TN};
    __global ${ctype(out_t)} *cp = C + coff;
<%
sw = "0123456789abcdef"
def comp(r, v, j):
    return "c%d_%d" % (r, v) if VW == 1 else "c%d_%d.s%s" % (r, v, sw[j])
%>
% if vec_store and VW > 1 and vec_epi:
    if (m0 + ${TM} <= ${M} && n0 + ${TN} <= ${N}) {
    % if bias_t is not None:
        % for v in range(NV):
        const ${fv} bias${v} = *(const __global ${fv} *)(bias + n0 + ${v * VW});
        % endfor
    % endif
    % for r in rows():
        % for v in range(NV):
        {
            const long o = (long)(m0 + ${r}) * ${N} + n0 + ${v * VW};
            ${fv} a0 = c${r}_${v};
            % if act is not None and not vec_act:
            ${fv} v;
            % endif
            % if bias_t is not None:
            a0 += bias${v};
            % endif
            % if res_t is not None:
            a0 += *(const __global ${fv} *)(res + coff + o);
            % endif
            % if act is not None and vec_act:
            a0 = ${act};
            % elif act is not None:
            const ${fv} acc = a0;
                % for j in range(VW):
            { const float a0 = acc.s${"0123456789abcdef"[j]}; v.s${"0123456789abcdef"[j]} = ${act}; }
                % endfor
            a0 = v;
            % endif
            *(__global ${fv} *)(cp + o) = a0;
        }
        % endfor
    % endfor
        return;
    }
% endif
% for r in rows():
    if (m0 + ${r} < ${M}) {
        const long ro = (long)(m0 + ${r}) * ${N};
    % for v in range(NV):
        % for j in range(VW):
        if (n0 + ${v * VW + j} < ${N}) {
            float a0 = ${comp(r, v, j)};
            % if bias_t is not None:
            a0 += ${load(bias_t, "bias", "n0 + %d" % (v * VW + j))};
            % endif
            % if res_t is not None:
            a0 += ${load(res_t, "res", "coff + ro + n0 + %d" % (v * VW + j))};
            % endif
            % if act is not None:
            a0 = ${act};
            % endif
            ${store(out_t, "cp", "ro + n0 + %d" % (v * VW + j), "a0")}
        }
        % endfor
    % endfor
    }
% endfor
}
