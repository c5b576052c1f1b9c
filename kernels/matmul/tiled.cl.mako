## Tiled matrix product over a B operand packed into panels (spec: tiled.py beside this file; lowering:
## ovcl/lowering/matmul.py), or read in place
## (b_direct: a row-major f32 B whose rows are whole numbers of aligned vectors, panel p = columns p*TN..).
## Each work-item computes a TM x TN tile of C (TN = NV * VW) in float vector accumulators, looping over K
## unrolled by U. Packed B: for every B batch, ceil(N / TN) panels of Kp x TN floats (zero padded), so that one
## row of a panel is NV aligned vector loads.
## params: signature (the C parameters, declared by tiled.py's args: A, Bp, C, [bias], [res], [M N K P KpTN]),
##   a_t, out_t, M, N, K, P (panels), Kp, TM, VW, NV, U, L0, L1, a_rs, a_ks (A row and K strides),
##   a_vec (A rows read as floatU vectors), b_half (packed B holds f16 bits of finite values), b_local (with b_half:
##   the work-group first decodes its L0 panels into local memory, once, instead of every work-item decoding every
##   B vector it reads), b_direct, b_rs (B row stride: TN packed, N direct), batch_code (C statements setting long aoff, boff, coff from bz),
##   bias_t / res_t (None or Type), act (C expression over a0 or None), vec_epi (interior tiles: vector loads and stores in the
##   epilogue), vec_act (the activation is valid on vectors, its math helpers renamed by vector_math; else per component),
##   vec_store (C row stride N % VW == 0: interior tiles store whole vectors), c_trans (C stored transposed, N x M
##   per batch), vec_trans (with c_trans: interior tiles store float<TM> columns; TM 2, 4 or 8, C and the
##   residual f32, the activation valid on float<TM>), dyn (M, N, K, P and Kp*TN are kernel arguments; A K-major: a_ks the string "M"; no b_local)
<%
TN = NV * VW
fv = "float%d" % VW if VW > 1 else "float"
bt = "ushort" if b_half else "float"
bvt = ("ushort%d" % VW if VW > 1 else "ushort") if b_half else fv
h2f = "ovcl_h2f%s" % (VW if VW > 1 else "")
def bload(off):
    """One B vector at element offset ``off`` of bp, as float."""
    if b_local:
        return "*(const __local %s *)(bp + %s)" % (fv, off)
    ld = "*(const __global %s *)(bp + %s)" % (bvt, off)
    return "%s(%s)" % (h2f, ld) if b_half else ld
if dyn:
    ## sizes are kernel arguments (M, N, K, P, KpTN) and K4 a local: layers of different shapes share the kernel
    sM, sN, sK, sP, sKpTN, sK4, tail = "M", "N", "K", "P", "KpTN", "K4", True
    sM1 = "(M - 1)"
else:
    K4 = K // U * U
    sM, sN, sK, sP, sKpTN, sK4, tail = M, N, K, P, Kp * TN, K4, K4 < K
    sM1 = M - 1
def rows():
    return range(TM)
%>
__kernel __attribute__((reqd_work_group_size(${L0}, ${L1}, 1)))
void ${name}(${signature}) {
% if dyn:
    const int K4 = K / ${U} * ${U};
% endif
    const int p = get_global_id(0);
    const int mb = get_global_id(1);
    const long bz = get_global_id(2);
% if b_local:
    ## before any work-item returns: every one takes part in the decode and reaches the barrier
    long aoff = 0, boff = 0, coff = 0;
    ${batch_code}
    __local ${fv} lbv[${L0 * Kp * TN // VW}];          /* vector-typed: aligned for the vector loads */
    {
        const int p0 = get_group_id(0) * ${L0};
        const int n = min(${L0}, ${P} - p0) * ${Kp * TN};
        const __global ${bvt} *src = (const __global ${bvt} *)(Bp + boff + (long)p0 * ${Kp * TN});
        // one work-item decodes it all: a contiguous loop; split across work-items, PoCL vectorised the
        // loop across them into gathers and it cost 3x more
        if (get_local_id(0) == 0 && get_local_id(1) == 0)
            for (int i = 0; i < n / ${VW}; ++i)
                lbv[i] = ${h2f}(src[i]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (p >= ${P} || mb * ${TM} >= ${M}) return;
    const __local float *bp = (const __local float *)lbv + get_local_id(0) * ${Kp * TN};
% else:
    if (p >= ${sP} || mb * ${TM} >= ${sM}) return;
    long aoff = 0, boff = 0, coff = 0;
    ${batch_code}
% endif
% if b_local:
% elif b_direct:
    const __global ${bt} *bp = Bp + boff + (long)p * ${TN};
% else:
    const __global ${bt} *bp = Bp + boff + (long)p * ${sKpTN};
% endif
    const int m0 = mb * ${TM};
% for r in rows():
    const __global ${ctype(a_t)} *a${r} = A + aoff + (long)min(m0 + ${r}, ${sM1}) * ${a_rs};
% endfor
% for r in rows():
    % for v in range(NV):
    ${fv} c${r}_${v} = (${fv})(0.0f);
    % endfor
% endfor
    for (int k = 0; k < ${sK4}; k += ${U}) {
% if a_vec:
    % for r in rows():
        const float${U} av${r} = *(const __global float${U} *)(a${r} + k);
    % endfor
% endif
% for u in range(U):
    % for v in range(NV):
        const ${fv} b${u}_${v} = ${bload("(long)(k + %d) * %d + %d" % (u, b_rs, v * VW))};
    % endfor
    % for r in rows():
        % if a_vec:
        const float x${r}_${u} = av${r}.s${"0123456789abcdef"[u]};
        % else:
        const float x${r}_${u} = ${load(a_t, "a%d" % r, "(k + %d) * %s" % (u, a_ks))};
        % endif
        % for v in range(NV):
        c${r}_${v} = c${r}_${v} + x${r}_${u} * b${u}_${v};
        % endfor
    % endfor
% endfor
    }
% if tail:
    for (int k = ${sK4}; k < ${sK}; ++k) {
    % for v in range(NV):
        const ${fv} b${v} = ${bload("(long)k * %d + %d" % (b_rs, v * VW))};
    % endfor
    % for r in rows():
        const float x${r} = ${load(a_t, "a%d" % r, "k * %s" % a_ks)};
        % for v in range(NV):
        c${r}_${v} = c${r}_${v} + x${r} * b${v};
        % endfor
    % endfor
    }
% endif
    const int n0 = p * ${TN};
    __global ${ctype(out_t)} *cp = C + coff;
    ## The epilogue loops over the tile, kept in private memory. Written out element by element (TM x TN copies
    ## of the bias, residual and activation code, twice: interior and border tiles) a kernel took PoCL 1-1.5 s to
    ## compile at its first launch, and ran slower (ResNet-50's 14x14 1x1 layer 1.52 -> 1.21 ms). The loops have
    ## constant trip counts, so that a GPU compiler can unroll them and keep the tile in registers.
    union { ${fv} v[${TM * NV}]; float s[${TM * TN}]; } tile;
% for r in rows():
    % for v in range(NV):
    tile.v[${r * NV + v}] = c${r}_${v};
    % endfor
% endfor
% if vec_store and VW > 1 and vec_epi and not c_trans:
    if (m0 + ${TM} <= ${sM} && n0 + ${TN} <= ${sN}) {
        for (int r = 0; r < ${TM}; ++r) {
    % for v in range(NV):
            {
                const long o = (long)(m0 + r) * ${sN} + n0 + ${v * VW};
                ${fv} a0 = tile.v[r * ${NV} + ${v}];
        % if bias_t is not None:
                a0 += *(const __global ${fv} *)(bias + n0 + ${v * VW});
        % endif
        % if res_t is not None:
                a0 += *(const __global ${fv} *)(res + coff + o);
        % endif
        % if act is not None and vec_act:
                a0 = ${vector_math(act, VW)};
        % elif act is not None:
                {
                    const ${fv} acc = a0;
                    ${fv} v;
            % for j in range(VW):
                    { const float a0 = acc.s${"0123456789abcdef"[j]}; v.s${"0123456789abcdef"[j]} = ${act}; }
            % endfor
                    a0 = v;
                }
        % endif
                *(__global ${fv} *)(cp + o) = a0;
            }
    % endfor
        }
        return;
    }
% endif
<%
def element():
    """Tile element (r, j) through bias, residual and activation into C; C's offset is o."""
    lines = ["float a0 = tile.s[r * %d + j];" % TN]
    if bias_t is not None:
        lines.append("a0 += %s;" % load(bias_t, "bias", "n0 + j"))
    if res_t is not None:
        lines.append("a0 += %s;" % load(res_t, "res", "coff + o"))
    if act is not None:
        lines.append("a0 = %s;" % act)
    lines.append(store(out_t, "cp", "o", "a0"))
    return " ".join(lines)
%>
% if c_trans and vec_trans:
    ## interior tiles stored transposed as columns of TM pixels: one float<TM> per output channel (bias, residual
    ## and activation on it), where element by element cost a 1x1 layer of K = 64 a third of its time
    if (m0 + ${TM} <= ${sM} && n0 + ${TN} <= ${sN}) {
        for (int j = 0; j < ${TN}; ++j) {
            const long o = (long)(n0 + j) * ${sM} + m0;
            float${TM} a0 = (float${TM})(${", ".join("tile.s[%d + j]" % (r * TN) for r in rows())});
    % if bias_t is not None:
            a0 += ${load(bias_t, "bias", "n0 + j")};
    % endif
    % if res_t is not None:
            a0 += ${vload_u("float", TM, "(res + coff + o)")};
    % endif
    % if act is not None:
            a0 = ${vector_math(act, TM)};
    % endif
            ${vstore_u("float", TM, "(cp + o)", "a0")}
        }
    } else
% endif
% if c_trans:
    ## C stored transposed (element (m, n) at n * M + m: a 1x1 convolution's NCHW output with pixels as rows)
    for (int j = 0; j < ${TN}; ++j) {
        if (n0 + j >= ${sN}) break;
        for (int r = 0; r < ${TM}; ++r) {
            if (m0 + r >= ${sM}) break;
            const long o = (long)(n0 + j) * ${sM} + m0 + r;
            ${element()}
        }
    }
% else:
    for (int r = 0; r < ${TM}; ++r) {
        if (m0 + r >= ${sM}) break;
        for (int j = 0; j < ${TN}; ++j) {
            if (n0 + j >= ${sN}) break;
            const long o = (long)(m0 + r) * ${sN} + n0 + j;
            ${element()}
        }
    }
% endif
}
