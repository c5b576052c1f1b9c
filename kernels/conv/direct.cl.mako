## Direct, register-tiled forward convolution (f32, or f16 data stored half; NCDHW, 1-3 spatial axes folded into
## D, H, W).
## A work-item computes TO output channels x TP = VW*NV consecutive output pixels of one output row
## (n, od, oh), in TO*NV float<VW> accumulators. Weights come packed once at compile time as
## [block][ICg][KD][KH][KW][TO] so that the TO weights of one tap are contiguous scalars. The source is
## either the input itself or a zero-padded copy (then every load is in bounds). Tiles that would read past
## the end of a row (ow0 + TP > OW without a padded source) clamp their lanes to the last valid pixel.
## Epilogue: + bias[oc], + residual, activation expression over a0.
## Only what shapes the code is a template parameter: the kernel taps KD, KH, KW, the column stride and
## dilation SW, DW, the tile TO x NV x VW, and the flags below. Sizes that vary per layer (channels, rows,
## strides of rows and planes) are int kernel arguments (declared in direct.py beside this file), so that layers of one
## shape class share a kernel: far fewer kernels for PoCL to compile at their first launch.
## w_half: the packed weights are f16 bits of finite values; a tap's TO weights are loaded as ushort vectors
## (built from scalars, merged by LLVM: TO*2 bytes is not a vector alignment) and decoded inline.
## s2v: SW == 2 and the source has one more column after every tile's last tap (reads 2*VW values a vector).
## vec_epi: full tiles apply the epilogue to whole vectors (vec_act: the activation expression is valid on
## vectors, its math helpers renamed by vector_math; otherwise it is applied lane by lane).
## params: KD, KH, KW, SW, DW, TO, NV, VW (vector width 8 or 16), safe (bool: tails need clamping), w_half, s2v,
##   vec_epi, vec_act, plain_rows (N * OD == 1: the row index is oh), one_group (groups == 1), act (str|None),
## the Types of the data: xt, ot (input, output), bt, rt (bias, residual; None without them). Whether a row ends in a partial tile and whether the last channel block
## is partial are run-time tests (one branch per work-item), not specialisations.
## A tap's pixels are one unaligned vector load (vector_at; built from scalars, LLVM turned the overlapping
## loads of a row's taps into shuffles of scalar loads, and the 3x3 kernels ran 1.5x slower).
<%
TP = VW * NV
VT = 'float%d' % VW
KK = KD * KH * KW
lanes = ["s%x" % j for j in range(VW)]
WT = "ushort" if w_half else "float"
def wchunks():
    """(first, width) of the vectors a tap's TO weights are loaded in: widths 8, 4, 2, 1."""
    out, o = [], 0
    for width in (8, 4, 2, 1):
        while TO - o >= width:
            out.append((o, width))
            o += width
    return out
%>
<%def name="load8(p)">\
% if s2v:
${stride2_vector(p, 0, VW, xt)}\
% elif SW == 1:
${vector_at(p, VW, xt)}\
% else:
${gather_vector(xt, p, [j * SW for j in range(VW)])}\
% endif
</%def>
<%def name="conv_body(clamp)">
% if clamp:
    % for v in range(NV):
        % for j in range(VW):
    const int cl${v * VW + j} = (min(ow0 + ${v * VW + j}, OW - 1) - ow0) * ${SW};
        % endfor
    % endfor
% endif
    for (int ic = 0; ic < ICg; ++ic) {
        __global const ${ctype(xt)} *xc = xb + (long)ic * XPLANE;
        __global const ${WT} *wc = wb + ic * ${KK * TO};
% if KD > 1:
        for (int kd = 0; kd < ${KD}; ++kd)
% else:
        { const int kd = 0;
% endif
% if KH > 1:
        for (int kh = 0; kh < ${KH}; ++kh) {
% else:
        { const int kh = 0;
% endif
            __global const ${ctype(xt)} *xr = xc + (kd * DDXH + kh * DH) * XW;
            __global const ${WT} *wr = wc + (kd * ${KH} + kh) * ${KW * TO};
% for kw in range(KW):
            {
    % for v in range(NV):
        % if clamp:
                const ${VT} x${v} = ${gather_vector(xt, "xr", ["%d + cl%d" % (kw * DW, v * VW + j) for j in range(VW)])};
        % else:
                const ${VT} x${v} = ${load8("(xr + %d)" % (kw * DW + v * VW * SW))};
        % endif
    % endfor
    % if w_half:
        % for o0, width in wchunks():
            % if width == 1:
                const float wh${o0} = ovcl_h2f(wr[${kw * TO + o0}]);
            % else:
                const float${width} wh${o0} = ovcl_h2f${width}((ushort${width})(${", ".join("wr[%d]" % (kw * TO + o0 + j) for j in range(width))}));
            % endif
        % endfor
    % endif
    % for o in range(TO):
        % if w_half:
<%
o0, width = next((a, b) for a, b in wchunks() if a <= o < a + b)
%>
                { const float wv = wh${o0}${"" if width == 1 else ".s%x" % (o - o0)};
        % else:
                { const float wv = wr[${kw * TO + o}];
        % endif
        % for v in range(NV):
                  acc${o}_${v} = acc${o}_${v} + x${v} * wv;
        % endfor
                }
    % endfor
            }
% endfor
        }
% if KD <= 1:
        }
% endif
    }
</%def>
__kernel void ${name}(${signature}) {
    const int tile = get_global_id(0);
    const int blk = get_global_id(1);
    const int row = get_global_id(2);
    if (tile >= NT || blk >= NBLK) return;
    ## integer divisions cost ~10-20 cycles each, as much as a short channel loop: skipped where trivial
% if plain_rows:
    const int oh = row, od = 0, n = 0;
% else:
    const int oh = row % OH;
    const int od = (row / OH) % OD;
    const int n = row / (OH * OD);
% endif
    const int ow0 = tile * ${TP};
    const int oc0 = blk * ${TO};
% if one_group:
    const int g = 0;
% else:
    const int g = oc0 / OCg;
% endif
    __global const ${ctype(xt)} *xb = x + ((long)(n * XC + g * ICg)) * XPLANE
                               + (long)(od * SDXH + oh * SH) * XW + ow0 * ${SW};
    __global const ${WT} *wb = w + (long)blk * ICg * ${KK * TO};
% for o in range(TO):
    % for v in range(NV):
    ${VT} acc${o}_${v} = (${VT})(0.0f);
    % endfor
% endfor
% if safe:
    if (ow0 + ${TP} <= OW) {
${conv_body(False)}
    } else {
${conv_body(True)}
    }
% else:
${conv_body(False)}
% endif
    const long OP = (long)OD * OH * OW;
    const long obase = ((long)n * OC + oc0) * OP + ((long)od * OH + oh) * OW + ow0;
<%def name="epilogue(full)">
% for o in range(TO):
    if (oc0 + ${o} < OC) {
        __global ${ctype(ot)} *op = out + obase + ${o} * OP;
    % if rt:
        __global const ${ctype(rt)} *rp0 = res + obase + ${o} * OP;
    % endif
    % if bt:
        const float b = ${load(bt, "bias", "oc0 + %d" % o)};
    % endif
    % for v in range(NV):
        % if full and vec_epi:
        ## every lane in range: the epilogue on whole vectors, then consecutive stores that LLVM merges
        {
            ${VT} a0 = acc${o}_${v}${" + b" if bt else ""};
            % if rt:
            a0 += ${gather_vector(rt, "rp0", [v * VW + j for j in range(VW)])};
            % endif
            % if act and vec_act:
            a0 = ${vector_math(act, VW)};
            % endif
            % for j in range(VW):
            % if act and not vec_act:
            { float a1 = a0.${lanes[j]}; { const float a0 = a1; a1 = ${act}; } ${store(ot, "op", v * VW + j, "a1")} }
            % else:
            ${store(ot, "op", v * VW + j, "a0." + lanes[j])}
            % endif
            % endfor
        }
        % elif full:
        ## every lane in range: plain consecutive stores, which LLVM merges into vector stores
            % for j in range(VW):
        {
            float a0 = acc${o}_${v}.${lanes[j]}${" + b" if bt else ""};
            % if rt:
            a0 += ${load(rt, "rp0", v * VW + j)};
            % endif
            % if act:
            a0 = ${act};
            % endif
            ${store(ot, "op", v * VW + j, "a0")}
        }
            % endfor
        % else:
        {
            ${VT} rv = acc${o}_${v};
            const float *rp = (const float *)&rv;
            for (int j = 0; j < ${VW}; ++j) {
                if (ow0 + ${v * VW} + j >= OW) break;
                float a0 = rp[j]${" + b" if bt else ""};
            % if rt:
                a0 += ${load(rt, "rp0", "%d + j" % (v * VW))};
            % endif
            % if act:
                a0 = ${act};
            % endif
                ${store(ot, "op", "%d + j" % (v * VW), "a0")}
            }
        }
        % endif
    % endfor
    }
% endfor
</%def>
    if (ow0 + ${TP} <= OW) {
${epilogue(True)}
    } else {
${epilogue(False)}
    }
}
