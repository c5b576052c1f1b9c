## Range: out[i] = start + i * step, start and step read from their one-element buffers.
## params: t (output Type), st (start Type), pt (step Type), n
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(st)} *restrict start,
                      __global const ${ctype(pt)} *restrict step) {
    const int gid = get_global_id(0);
    if (gid >= ${n}) return;
% if t.is_real():
    const ${cctype(t)} v = (${cctype(t)})(${load(st, "start", "0")}) + (${cctype(t)})gid * (${cctype(t)})(${load(pt, "step", "0")});
% else:
    const long v = (long)(${load(st, "start", "0")}) + (long)gid * (long)(${load(pt, "step", "0")});
% endif
    ${store(t, "out", "gid", "v")}
}
