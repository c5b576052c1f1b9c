## Key transposition for ScaledDotProductAttention: kt[g][e][j] = key[g][j][e] as float, rows padded with zeros
## from S to SP (a multiple of 8) so the attention kernel reads 8 keys per float8 load.
## params: t (key Type), G (key batch count), S, SP, E, ft (float or double)
__kernel void ${name}(__global const ${ctype(t)} *restrict k, __global ${ft} *restrict kt) {
    const int j = get_global_id(0);
    const int e = get_global_id(1);
    const int g = get_global_id(2);
    if (j >= ${SP} || e >= ${E}) return;
    const long dst = ((long)g * ${E} + e) * ${SP} + j;
    if (j < ${S}) {
        kt[dst] = ${load(t, "k", "((long)g * %d + j) * %d + e" % (S, E))};
    } else {
        kt[dst] = 0;
    }
}
