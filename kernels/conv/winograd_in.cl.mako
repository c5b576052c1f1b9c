## Winograd F(2x2, 3x3) input transform (spec: winograd.py beside this file; lowering: ovcl/lowering/winograd.py): for every 2x2 output tile t of
## plane nc = n*C + c, the 4x4 input patch d at (2*th - PT, 2*tw - PL) (zero outside the input) becomes
## B^T d B, written as 16 matrices V[xi][c][t] (t fastest, so that each is the transposed A of a GEMM).
## A work-item transforms NT tiles of one tile row, as float<NT> vectors across the tiles: each input row is
## loaded once (2*NT + 2 values) and each of the 16 results is NT consecutive floats.
## Outside the input, loads read index 0 and a select makes the value zero: no branches, and no min/max
## (out-of-line calls on PoCL, ~5 ns each).
## params: signature (declared by winograd.py beside this file), NT (tiles per work-item: 2, 4 or 8), one_image
## (N == 1), xt (the input's Type: f32, or f16 stored half). Sizes are int arguments: layers of one kind share the kernel.
<%
VT = "float%d" % NT
L = 2 * NT + 2
%>
__kernel void ${name}(${signature}) {
    const int tb = get_global_id(0);                  // block of NT tiles in the tile row
    const int th = get_global_id(1);
    const int nc = get_global_id(2);
    const int tw0 = tb * ${NT};
    if (tw0 >= TW || th >= TH) return;
% if one_image:
    const int n = 0, c = nc;
% else:
    const int n = nc / C, c = nc - n * C;
% endif
    const int r0 = 2 * th - PT, c0 = 2 * tw0 - PL;
    __global const ${ctype(xt)} *xp = x + (long)nc * H * W;
% for j in range(L):
    const int okc${j} = c0 + ${j} >= 0 && c0 + ${j} < W;
    const int cc${j} = okc${j} ? c0 + ${j} : 0;
% endfor
% for i in range(4):
    ## d<i>_<j>: column j of every tile's patch in row i, across the NT tiles
    ${VT} d${i}_0, d${i}_1, d${i}_2, d${i}_3;
    {
        const int r = r0 + ${i};
        const int okr = r >= 0 && r < H;
        __global const ${ctype(xt)} *xr = xp + (long)(okr ? r : 0) * W;
    % for j in range(L):
        const float l${j} = ${load(xt, "xr", "cc%d" % j)};           // an unconditional load, then a select (no branch)
        const float e${j} = (okr && okc${j}) ? l${j} : 0.0f;
    % endfor
    % for j in range(4):
        d${i}_${j} = (${VT})(${", ".join("e%d" % (2 * k + j) for k in range(NT))});
    % endfor
    }
% endfor
    const long XI = (long)C * T;                      // distance between consecutive xi
    const long tile = ((long)n * TH + th) * TW + tw0;
    __global float *vp = V + (long)c * T + tile;
    const int full = tw0 + ${NT} <= TW;
% for j in range(4):
    // rows of B^T d, column ${j}
    const ${VT} t0_${j} = d0_${j} - d2_${j}, t1_${j} = d1_${j} + d2_${j}, t2_${j} = d2_${j} - d1_${j}, t3_${j} = d1_${j} - d3_${j};
% endfor
% for k in range(4):
    {
        ## (B^T d) B, row k
        ${VT} u[4];
        u[0] = t${k}_0 - t${k}_2;
        u[1] = t${k}_1 + t${k}_2;
        u[2] = t${k}_2 - t${k}_1;
        u[3] = t${k}_1 - t${k}_3;
    % for l in range(4):
        {
            __global float *o = vp + ${4 * k + l} * XI;
            if (full) {
        % for q in range(NT):
                o[${q}] = u[${l}].s${"%x" % q};
        % endfor
            } else {
                const float *uq = (const float *)&u[${l}];
                for (int q = 0; q < TW - tw0; ++q) o[q] = uq[q];
            }
        }
    % endfor
    }
% endfor
}
