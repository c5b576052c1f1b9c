## Key transposition for ScaledDotProductAttention: kt[g][e][j] = key[g][j][e] in the compute type ft, rows
## padded with zeros from S to SP (a multiple of 8) so the attention kernel reads 8 keys per vector load.
## One work-item writes 8 consecutive keys of one e as a vector. The key is read where it lies: from element
## koff on, batch dims kb ((size, element stride) each), key rows krs elements apart, e contiguous.
## params: t (key Type), G (key batch count), S, SP, E, ft (float or double), kb, krs, koff
__kernel void ${name}(__global const ${ctype(t)} *restrict k, __global ${ft} *restrict kt) {
    const int j8 = get_global_id(0);
    const int e = get_global_id(1);
    const int g = get_global_id(2);
    if (j8 >= ${SP // 8} || e >= ${E}) return;
    const int j0 = j8 * 8;
    long src = ${koff} + (long)j0 * ${krs} + e;
    {
        int rem = g;
% for n, stride in reversed(kb):
        src += (long)(rem % ${n}) * ${stride}; rem /= ${n};
% endfor
    }
    ${ft}8 x;
% for c in range(8):
    x.s${c} = j0 + ${c} < ${S} ? (${ft})(${load(t, "k", "src + " + str(c * krs))}) : (${ft})0;
% endfor
    *(__global ${ft}8 *)(kt + ((long)g * ${E} + e) * ${SP} + j0) = x;
}
