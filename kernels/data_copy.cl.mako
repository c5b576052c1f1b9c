## Generic strided copy: out[o] = in[map(o)] with the index map folded to constants.
## One work-item moves V consecutive elements of the innermost output dimension; get_global_id(1) walks the
## other output dimensions (flattened). Elements are moved as raw bits (T: uchar/ushort/uint/ulong).
## params: T, idx (int or long), dims: list of dicts (D, os, is, mode, lo, n) outer to inner, obase, ibase,
## V, R (product of the outer dims), N0 (innermost size / V), padv (read the constant-pad value from a buffer)
<%
inner = dims[-1]
outer = dims[:-1]
use_ok = any(d["mode"] == "const" for d in dims)
def mapping(d, c):
    m = d["mode"]
    if m == "lin":
        return "io += %s * (%d);" % (c, d["is"]) if d["is"] != 0 else ""
    lo, n = d["lo"], d["n"]
    if m == "const":
        return "{ const %s t = %s - (%d); if (t < 0 || t >= %d) ok = 0; else io += t * (%d); }" % (idx, c, lo, n, d["is"])
    if m == "edge":
        return "{ %s t = %s - (%d); t = t < 0 ? 0 : (t >= %d ? %d : t); io += t * (%d); }" % (idx, c, lo, n, n - 1, d["is"])
    if m == "reflect":
        if n == 1:
            return ""
        if d["short"]:          # pads shorter than the dimension: one reflection at most
            return ("{ %s t = %s - (%d); if (t < 0) t = -t; else if (t >= %d) t = %d - t; io += t * (%d); }"
                    % (idx, c, lo, n, 2 * (n - 1), d["is"]))
        p = 2 * (n - 1)
        return ("{ %s t = %s - (%d); t = (t < 0 ? -t : t) %% %d; if (t >= %d) t = %d - t; io += t * (%d); }"
                % (idx, c, lo, p, n, p, d["is"]))
    if m == "symmetric":
        if d["short"]:
            return ("{ %s t = %s - (%d); if (t < 0) t = -1 - t; else if (t >= %d) t = %d - t; io += t * (%d); }"
                    % (idx, c, lo, n, 2 * n - 1, d["is"]))
        p = 2 * n
        return ("{ %s t = (%s - (%d)) %% %d; if (t < 0) t += %d; if (t >= %d) t = %d - t; io += t * (%d); }"
                % (idx, c, lo, p, p, n, p - 1, d["is"]))
    if m == "roll":
        return "{ %s t = %s + %d; if (t >= %d) t -= %d; io += t * (%d); }" % (idx, c, d["lo"], d["D"], d["D"], d["is"])
    raise ValueError(m)
%>
__kernel void ${name}(__global ${T} *restrict out, __global const ${T} *restrict in
% if padv:
    , __global const ${T} *restrict padv
% endif
) {
    const ${idx} i0 = get_global_id(0);
    const ${idx} r = get_global_id(1);
    if (i0 >= ${N0} || r >= ${R}) return;
    ${idx} oo = ${obase};
    ${idx} io = ${ibase};
% if use_ok:
    int ok = 1;
% endif
% if outer:
    ${idx} rem = r;
% endif
% for k in reversed(range(len(outer))):
    {
<% d = outer[k] %>\
    % if k > 0:
        const ${idx} c = rem % ${d["D"]}; rem /= ${d["D"]};
    % else:
        const ${idx} c = rem;
    % endif
    % if d["os"] != 0:
        oo += c * ${d["os"]};
    % endif
        ${mapping(d, "c")}
    }
% endfor
    {
        const ${idx} c = i0 * ${V};
        oo += c * ${inner["os"]};
        ${mapping(inner, "c")}
    }
% if V > 1 and use_ok:
    ## an outer dimension padded: the whole vector is inside or is padding
    ${vstore_u(T, V, "(out + oo)", "ok ? %s : (%s%d)(padv[0])" % (vload_u(T, V, "(in + io)"), T, V))}
% elif V > 1:
    ${vstore_u(T, V, "(out + oo)", vload_u(T, V, "(in + io)"))}
% elif use_ok:
    out[oo] = ok ? in[io] : padv[0];
% else:
    out[oo] = in[io];
% endif
}
