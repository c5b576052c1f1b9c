## Tiled transpose for copies whose innermost output dimension (a) is strided in the input while another
## dimension (b) is contiguous there: a TS x TS tile is read along b, staged in local memory and written along
## a, so both global sides are walked contiguously. get_global_id(2) walks the remaining dimensions.
## params: T (raw type), idx, TS, NA, SA (input stride of a), NB, OB (output stride of b), rest: list of
## (D, os, is) outer to inner, R
__kernel void ${name}(__global ${T} *restrict out, __global const ${T} *restrict in) {
    __local ${T} tile[${TS}][${TS + 1}];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const ${idx} a0 = (${idx})get_group_id(0) * ${TS};
    const ${idx} b0 = (${idx})get_group_id(1) * ${TS};
    const ${idx} r = get_global_id(2);
    ${idx} oo = 0, io = 0;
% if rest:
    ${idx} rem = r;
% endif
% for k in reversed(range(len(rest))):
<% D, os_, is_ = rest[k] %>\
    {
    % if k > 0:
        const ${idx} c = rem % ${D}; rem /= ${D};
    % else:
        const ${idx} c = rem;
    % endif
        oo += c * ${os_};
        io += c * ${is_};
    }
% endfor
    {
        const ${idx} b = b0 + lx, a = a0 + ly;
        if (b < ${NB} && a < ${NA}) tile[ly][lx] = in[io + a * ${SA} + b];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    {
        const ${idx} a = a0 + lx, b = b0 + ly;
        if (b < ${NB} && a < ${NA}) out[oo + b * ${OB} + a] = tile[lx][ly];
    }
}
