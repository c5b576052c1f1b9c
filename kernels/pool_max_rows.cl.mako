## 2-D max pooling (f32, no indices): a work-item computes 8 consecutive outputs of one output row as a
## float8. Each window column is one float8 of input taps from one row pointer: an unaligned vector load at
## stride 1, the even lanes of a float16 at stride 2, scalar loads otherwise (PoCL does not vectorise the
## one-output-per-item kernel across work-items: its taps are strided). Rows outside the input are skipped
## (the same for all 8 lanes). A tile whose columns reach outside the row loads whole vectors too where every
## column read lies inside the tensor, its lanes outside the row never taken (a mask in the comparison;
## OpenCL's select() is an out-of-line call on PoCL, 1.4x slower); else lane by lane, the index clamped and
## the tap -inf.
## Semantics as pool.cl.mako's max: a tap replaces the best only where it is greater (NaN taps are passed
## over), -inf where no tap is inside the input.
## params: KH, KW, SH, SW, DH, DW (the window). Sizes are int arguments, so that a network's pools of one window
## share a kernel (one PoCL compile, 0.35 s each: Inception-v1 had 13): H, W, OH, OW (input / output plane),
## PT, PL (pads top / left), NT (tiles of 8 outputs per row), NC (planes: N*C).
<%
lanes = ["s%x" % j for j in range(8)]
span = 7 * SW + (KW - 1) * DW + 1     # input columns a tile reads
## stride 1: each tap one unaligned vector load; stride 2: the even lanes of 16 (one column past the span)
reach = span + (1 if SW == 2 else 0)
def tap(kw):
    if SW == 1:
        return vector_at("(xr + %d)" % (kw * DW), 8)
    if SW == 2:
        return stride2_vector("xr", kw * DW, 8)
    return "(float8)(%s)" % ", ".join("xr[%d]" % (kw * DW + j * SW) for j in range(8))
%>
__kernel void ${name}(__global float *restrict out, __global const float *restrict x, const int H, const int W,
                      const int OH, const int OW, const int PT, const int PL, const int NT, const int NC) {
    const int tile = get_global_id(0);
    const int oh = get_global_id(1);
    const int nc = get_global_id(2);
    if (tile >= NT || oh >= OH || nc >= NC) return;
    const int ow0 = tile * 8;
    const int iw0 = ow0 * ${SW} - PL;
    const int ih0 = oh * ${SH} - PT;
    __global const float *xc = x + (long)nc * H * W;
    float8 best = (float8)(-INFINITY);
    if (iw0 >= 0 && iw0 + ${reach} <= W) {
% for kh in range(KH):
        if (ih0 + ${kh * DH} >= 0 && ih0 + ${kh * DH} < H) {
            __global const float *xr = xc + (ih0 + ${kh * DH}) * W + iw0;
    % for kw in range(KW):
            { const float8 v = ${tap(kw)};
              best = v > best ? v : best; }
    % endfor
        }
% endfor
    } else if (((long)nc * H + (ih0 > 0 ? ih0 : 0)) * W + iw0 >= 0
               && ((long)nc * H + (ih0 + ${(KH - 1) * DH} < H ? ih0 + ${(KH - 1) * DH} : H - 1)) * W + iw0
                  + ${reach} <= (long)NC * H * W) {
        ## a border tile whose columns read lie inside the tensor: whole vectors as inside, the lanes outside
        ## the row never taken (lane by lane below, Inception-v1's max pools took 1.5x longer)
        const int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7);
% for kw in range(KW):
        const int8 in${kw} = ((int8)(iw0 + ${kw * DW}) + lane * ${SW} >= 0) & ((int8)(iw0 + ${kw * DW}) + lane * ${SW} < W);
% endfor
% for kh in range(KH):
        if (ih0 + ${kh * DH} >= 0 && ih0 + ${kh * DH} < H) {
            __global const float *xr = xc + (ih0 + ${kh * DH}) * W + iw0;
    % for kw in range(KW):
            { const float8 v = ${tap(kw)};
              best = ((v > best) & in${kw}) ? v : best; }
    % endfor
        }
% endfor
    } else {
% for kh in range(KH):
        if (ih0 + ${kh * DH} >= 0 && ih0 + ${kh * DH} < H) {
            __global const float *xr = xc + (ih0 + ${kh * DH}) * W;
            float seg[${span}];
            ## unconditional loads (index 0 outside the row) and a select: a branch per lane stops vectorising
    % for e in range(span):
            { const int i = iw0 + ${e}; const int in = i >= 0 && i < W; const float v = xr[in ? i : 0];
              seg[${e}] = in ? v : -INFINITY; }
    % endfor
    % for kw in range(KW):
            { const float8 v = (float8)(${", ".join("seg[%d]" % (kw * DW + j * SW) for j in range(8))});
              best = v > best ? v : best; }
    % endfor
        }
% endfor
    }
    __global float *o = out + ((long)nc * OH + oh) * OW + ow0;
    if (ow0 + 8 <= OW) {
        ${vstore_u("float", 8, "o", "best")}
    } else {
% for j in range(8):
        if (ow0 + ${j} < OW) o[${j}] = best.${lanes[j]};
% endfor
    }
}
