## Element-wise kernel over NumPy-broadcast inputs: one work-item per ``vec`` consecutive output elements.
## params: out_t (Type), ins (list of (Type, strides or None, C literal or None)), dims (collapsed output
## shape: its outermost size is not in the source), expr (C expression over a0, a1, ... in their compute
## types), body (list of (C type, name, C expression): fused steps computed before expr), idx (C index type:
## int or long), vec (1, 4 or 8),
## rot ({input: (D, h)}: an input of the output's shape read rotate-half along its last axis of D = 2h:
## -x[j + h] for j < h, x[j - h] after; a vector never straddles the halves). The work-items, NW, are an
## argument: layers that differ only in their outermost size (DenseNet-121's 62 BatchNorm + ReLU over 64 to
## 1024 channels) share a kernel, one PoCL compile.
##
## vec > 1 (f32 throughout, the innermost collapsed dimension a multiple of vec, expressions valid on
## vectors once the prelude's math helpers take their float<vec> names: vector_math): an input that walks the innermost dimension is a float<vec> load, one broadcast along it a single
## float that the vector arithmetic widens. PoCL does not vectorise the one-element form across work-items
## (3.4x slower per byte on a per-channel multiply-add), so the vectors are written out.
<%
vt = (lambda t: cctype(t)) if vec == 1 else (lambda t: "float%d" % vec)
first = "gid" if vec == 1 else "e"
def inner_walks(strides):
    return vec > 1 and (strides is None or strides[-1] == 1)
def read(k, t, strides):
    at = first if strides is None else "off%d" % k
    if k in rot:
        D, h = rot[k]
        one = ((lambda o: vector_at("(in%d + %s)" % (k, o), vec)) if vec > 1 else (lambda o: load(t, "in%d" % k, o)))
        return "((%s %% %d) < %d ? -%s : %s)" % (at, D, h, one("%s + %d" % (at, h)), one("%s - %d" % (at, h)))
    if inner_walks(strides):
        return vector_at("(in%d + %s)" % (k, at), vec)
    return load(t, "in%d" % k, at)
%>
__kernel void ${name}(__global ${ctype(out_t)} *restrict out
% for k, (t, strides, lit) in enumerate(ins):
    % if lit is None:
    , __global const ${ctype(t)} *restrict in${k}
    % endif
% endfor
    , const ${idx} NW
) {
    const ${idx} gid = get_global_id(0);
    if (gid >= NW) return;
% if vec > 1:
    const ${idx} e = gid * ${vec};
% endif
% if any(s is not None and lit is None for _, s, lit in ins):
    ${idx} rem = ${first};
    % for k, (t, strides, lit) in enumerate(ins):
        % if strides is not None and lit is None:
    ${idx} off${k} = 0;
        % endif
    % endfor
    % for d in reversed(range(len(dims))):
    {
        % if d > 0:
        const ${idx} c = rem % ${dims[d]}; rem /= ${dims[d]};
        % else:
        const ${idx} c = rem;
        % endif
        % for k, (t, strides, lit) in enumerate(ins):
            % if strides is not None and lit is None and strides[d] != 0:
        off${k} += c * ${strides[d]};
            % endif
        % endfor
    }
    % endfor
% endif
% for k, (t, strides, lit) in enumerate(ins):
    % if lit is not None:
    const ${cctype(t)} a${k} = ${lit};
    % else:
    const ${vt(t) if inner_walks(strides) else cctype(t)} a${k} = ${read(k, t, strides)};
    % endif
% endfor
% for t, var, e in body:
    const ${vt(t)} ${var} = (${vt(t)})(${vector_math(e, vec)});
% endfor
% if vec == 1:
    ${store(out_t, "out", "gid", expr)}
% else:
    ${vstore_u("float", vec, "(out + e)", "(float%d)(%s)" % (vec, vector_math(expr, vec)))}
% endif
}
