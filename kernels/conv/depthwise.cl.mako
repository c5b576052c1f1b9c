## Depthwise 2-D convolution (f32, or f16 data stored half; one input and one output channel per group), reading
## the unpadded input.
## A work-item computes R output rows x TP = 8*NV output pixels of one channel. Each input row it needs is
## loaded once per kernel column and feeds every output row it contributes to. Rows outside the input are
## skipped; columns are loaded as whole vectors when the tile's span lies inside the row; at a padded row's
## ends as whole vectors too, the lanes outside the row zeroed by masks, where the columns read lie inside the
## tensor (all but the first tile of the first plane and the last of the last: on MobileNetV2's 14x14 and
## 7x7 planes every tile is a border tile, and lane by lane they ran 2x slower); else lane by lane with a bounds
## check. Epilogue: + bias[c], + residual, activation expression over a0.
## Template params (what shapes the code): KH, KW, SH, SW, DH, DW, R, NV, act (str|None), vec_act (act is valid
## on float8 through vector_math), the Types of the data: xt, ot (input, output), bt, rt (bias, residual; None without them).
## Sizes that vary per layer are int kernel arguments: NC (N*C), C, H, W, OH, OW, PT, PL (pads top / left), NT, NR
## (row blocks), so that layers of one shape class share a kernel (fewer PoCL compiles).
<%
TP = 8 * NV
KK = KH * KW
NIN = (R - 1) * SH + (KH - 1) * DH + 1
lanes = ["s%x" % j for j in range(8)]
SPAN = (TP - 1) * SW + (KW - 1) * DW + 1 + (1 if SW == 2 else 0)    # columns read from iw0 on (stride 2: one more)
%>
## mode: "interior" (the tile's columns inside the row), "masked" (vector loads as in the interior, lanes outside
## the row zeroed by masks: every column read lies inside the tensor), "checked" (lane by lane, bounds checked)
<%def name="rows(mode)">
<% checked = mode == "checked" %>\
% for t in range(NIN):
    if (ih0 + ${t} >= 0 && ih0 + ${t} < H) {
        __global const ${ctype(xt)} *xr = xc + (ih0 + ${t}) * W;
        ## constant offsets from one pointer: one unaligned vector load a tap at stride 1, the even lanes of one at 2
        __global const ${ctype(xt)} *xw = xr + iw0;
    % if checked:
<% L = (TP - 1) * SW + (KW - 1) * DW + 1 %>\
        float seg[${L}];
        ## the load is unconditional (index 0 outside the row) and the zero a select: a branch per lane stops
        ## vectorisation; the index is chosen with ?: since min/max are out-of-line calls on PoCL
        % for e in range(L):
        { const int i = iw0 + ${e}; const int in = i >= 0 && i < W; const float v = ${load(xt, "xr", "in ? i : 0")}; seg[${e}] = in ? v : 0.0f; }
        % endfor
    % endif
    % for kw in range(KW):
        {
        % for v in range(NV):
            % if checked:
            const float8 x${v} = (float8)(${", ".join("seg[%d]" % (kw * DW + (v * 8 + j) * SW) for j in range(8))});
            % elif SW == 2:
            ${"" if mode == "masked" else "const "}float8 x${v} = ${stride2_vector("xw", kw * DW + v * 16, 8, xt)};
            % elif SW == 1:
            ${"" if mode == "masked" else "const "}float8 x${v} = ${vector_at("(xw + %d)" % (kw * DW + v * 8), 8, xt)};
            % else:
            ${"" if mode == "masked" else "const "}float8 x${v} = ${gather_vector(xt, "xw", [kw * DW + (v * 8 + j) * SW for j in range(8)])};
            % endif
        % endfor
        % if mode == "masked":
            % for v in range(NV):
            x${v} = as_float8(as_int8(x${v}) & m${kw}_${v});
            % endfor
        % endif
        % for r in range(R):
<% d = t - r * SH %>\
            % if d >= 0 and d % DH == 0 and d // DH < KH:
                % for v in range(NV):
            acc${r}_${v} = acc${r}_${v} + x${v} * w${(d // DH) * KW + kw};
                % endfor
            % endif
        % endfor
        }
    % endfor
    }
% endfor
</%def>
__kernel void ${name}(${signature}) {
    // one flat range over (plane, row block, tile), tiles fastest: a work-group packs the work-items of small
    // planes (MobileNetV2's 7x7 ones have 2 a plane) where a (tiles, row blocks, planes) group left most idle
    const int g = get_global_id(0);
    const int nc = g / (NT * NR);
    if (nc >= NC) return;
    const int rb = (g - nc * NT * NR) / NT;
    const int tile = g - (nc * NR + rb) * NT;
    const int c = nc % C;
    const int ow0 = tile * ${TP};
    const int oh0 = rb * ${R};
    const int ih0 = oh0 * ${SH} - PT;
    const int iw0 = ow0 * ${SW} - PL;
    __global const ${ctype(xt)} *xc = x + (long)nc * H * W;
% for k in range(KK):
    const float w${k} = w[c * ${KK} + ${k}];
% endfor
% for r in range(R):
    % for v in range(NV):
    float8 acc${r}_${v} = (float8)(0.0f);
    % endfor
% endfor
    ## the first and the last element the tile's loaded rows read, counted from x
    const long lo = ((long)nc * H + (ih0 > 0 ? ih0 : 0)) * W + iw0;
    const long hi = ((long)nc * H + (ih0 + ${NIN - 1} < H ? ih0 + ${NIN - 1} : H - 1)) * W + iw0 + ${SPAN - 1};
    if (iw0 >= 0 && iw0 + ${SPAN} <= W) {
${rows("interior")}
    } else if (lo >= 0 && hi < (long)NC * H * W) {
        ## border tiles (a padded row's first or last): the columns outside the row belong to its neighbours
        const int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7);
    % for kw in range(KW):
        % for v in range(NV):
        const int8 col${kw}_${v} = (int8)(iw0 + ${kw * DW + v * 8 * SW}) + lane * ${SW};
        const int8 m${kw}_${v} = (col${kw}_${v} >= 0) & (col${kw}_${v} < W);
        % endfor
    % endfor
${rows("masked")}
    } else {
${rows("checked")}
    }
% if bt:
    const float b = ${load(bt, "bias", "c")};
% endif
    const int full = ow0 + ${TP} <= OW;       // whole tile inside the row: plain stores that merge into vectors
% for r in range(R):
    if (oh0 + ${r} < OH) {
        const long ob = ((long)nc * OH + oh0 + ${r}) * OW + ow0;
        if (full) {
    % for v in range(NV):
            {   // the epilogue on whole vectors (vec_act: the activation is valid on vectors)
                float8 a0 = acc${r}_${v}${" + b" if bt else ""};
        % if rt:
                a0 += ${gather_vector(rt, "res", ["ob + %d" % (v * 8 + j) for j in range(8)])};
        % endif
        % if act and vec_act:
                a0 = ${vector_math(act, 8)};
        % endif
        % for j in range(8):
            % if act and not vec_act:
                { float a1 = a0.${lanes[j]}; { const float a0 = a1; a1 = ${act}; } ${store(ot, "out", "ob + %d" % (v * 8 + j), "a1")} }
            % else:
                ${store(ot, "out", "ob + %d" % (v * 8 + j), "a0.%s" % lanes[j])}
            % endif
        % endfor
            }
    % endfor
        } else {
            ## a tile past the row's end: a loop over the pixels left (written out per lane, this epilogue was half
            ## of the kernel's compile time on PoCL)
            union { float8 v[${NV}]; float s[${TP}]; } tile;
    % if rt or (act and not vec_act):
        % for v in range(NV):
            tile.v[${v}] = acc${r}_${v};
        % endfor
            for (int j = 0; j < ${TP}; ++j) {
                if (ow0 + j >= OW) break;
                float a0 = tile.s[j]${" + b" if bt else ""};
        % if rt:
                a0 += ${load(rt, "res", "ob + j")};
        % endif
        % if act:
                a0 = ${act};
        % endif
                ${store(ot, "out", "ob + j", "a0")}
            }
    % else:
            ## no residual to read past the row: the epilogue on whole vectors, then the stores in a loop
        % for v in range(NV):
            {
                float8 a0 = acc${r}_${v}${" + b" if bt else ""};
            % if act:
                a0 = ${vector_math(act, 8)};
            % endif
                tile.v[${v}] = a0;
            }
        % endfor
            for (int j = 0; j < ${TP}; ++j) {
                if (ow0 + j >= OW) break;
                ${store(ot, "out", "ob + j", "tile.s[j]")}
            }
    % endif
        }
    }
% endfor
}
