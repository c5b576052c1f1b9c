## MVN and NormalizeL2 over a set of axes: one work-group per normalised segment. MVN: mean, then the
## variance from centred values (two passes over the segment, exact in float), then the output pass.
## NormalizeL2 and RMSNorm: sum of squares, then the output pass (RMSNorm: the mean square, and times gamma,
## indexed by the position in the segment, where given).
## params (WG and VEC: the spec, segment.py): t (Type), mode ("mvn" | "l2" | "rms"), gamma_t (None or Type),
##   R (segment size), WG, base_code (sets long base from o), red_code (sets long roff from r),
##   normalize_variance, eps (C literal), eps_mode, VEC (f32, WG == 1, contiguous segment: float8 body)
<% ct = cctype(t) %>
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(${signature}) {
    const long o = get_group_id(0);
% if WG > 1:
    __local ${ct} scratch[${WG}];
    const int lid = get_local_id(0);
% else:
    const int lid = 0;
% endif
    ${base_code}
% if VEC:
    ## contiguous f32 segment, one work-item: a float8 body of unaligned loads and stores from the segment's
    ## start, then a scalar tail; every segment sums in the same order whatever its alignment (equal rows give
    ## equal results, as in reduce/segment)
    const int nv = ${R} >> 3;
    const int tail = nv << 3;
    const __global ovcl_float8_u *v_in = (const __global ovcl_float8_u *)(in + base);
    __global ovcl_float8_u *v_out = (__global ovcl_float8_u *)(out + base);
<%def name="hsum(v8, s)">
    ${v8}.lo += ${v8}.hi;
    ${v8}.s01 += ${v8}.s23;
    ${s} += ${v8}.s0 + ${v8}.s1;
</%def>
    % if mode == "mvn":
    float s = 0.0f;
    float8 s8 = (float8)(0.0f);
    for (int v = 0; v < nv; ++v) s8 += v_in[v];
    for (int i = tail; i < ${R}; ++i) s += in[base + i];
    ${hsum("s8", "s")}
    const float mean = s / (float)${R};
        % if normalize_variance:
    float q = 0.0f;
    float8 q8 = (float8)(0.0f);
    for (int v = 0; v < nv; ++v) { const float8 d = v_in[v] - mean; q8 += d * d; }
    for (int i = tail; i < ${R}; ++i) { const float d = in[base + i] - mean; q += d * d; }
    ${hsum("q8", "q")}
    q = q / (float)${R};
            % if eps_mode == "inside_sqrt":
    const float inv = 1.0f / sqrt(q + ${eps});
            % else:
    const float inv = 1.0f / (sqrt(q) + ${eps});
            % endif
    for (int v = 0; v < nv; ++v) v_out[v] = (v_in[v] - mean) * inv;
    for (int i = tail; i < ${R}; ++i) out[base + i] = (in[base + i] - mean) * inv;
        % else:
    for (int v = 0; v < nv; ++v) v_out[v] = v_in[v] - mean;
    for (int i = tail; i < ${R}; ++i) out[base + i] = in[base + i] - mean;
        % endif
    % else:
    float s = 0.0f;
    float8 s8 = (float8)(0.0f);
    for (int v = 0; v < nv; ++v) { const float8 x = v_in[v]; s8 += x * x; }
    for (int i = tail; i < ${R}; ++i) { const float x = in[base + i]; s += x * x; }
    ${hsum("s8", "s")}
        % if mode == "rms":
    const float inv = 1.0f / sqrt(s / (float)${R} + ${eps});
        % elif eps_mode == "add":
    const float inv = 1.0f / sqrt(s + ${eps});
        % else:
    const float inv = 1.0f / sqrt(fmax(s, ${eps}));
        % endif
        % if gamma_t is not None:
    for (int v = 0; v < nv; ++v) v_out[v] = v_in[v] * inv * ${vload_u("float", 8, "(gamma + 8 * v)")};
    for (int i = tail; i < ${R}; ++i) out[base + i] = in[base + i] * inv * gamma[i];
        % else:
    for (int v = 0; v < nv; ++v) v_out[v] = v_in[v] * inv;
    for (int i = tail; i < ${R}; ++i) out[base + i] = in[base + i] * inv;
        % endif
    % endif
}
<% return %>
% endif
<%def name="allreduce(var)">
% if WG > 1:
    scratch[lid] = ${var};
    barrier(CLK_LOCAL_MEM_FENCE);
    % for k in [WG >> i for i in range(1, 16) if WG >> i >= 1]:
    if (lid < ${k}) scratch[lid] += scratch[lid + ${k}];
    barrier(CLK_LOCAL_MEM_FENCE);
    % endfor
    ${var} = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
% endif
</%def>
% if mode == "mvn":
    ${ct} s = 0;
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
        s += ${load(t, "in", "base + roff")};
    }
    ${allreduce("s")}
    const ${ct} mean = s / (${ct})${R};
    % if normalize_variance:
    ${ct} v = 0;
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
        const ${ct} d = ${load(t, "in", "base + roff")} - mean;
        v += d * d;
    }
    ${allreduce("v")}
    v = v / (${ct})${R};
        % if eps_mode == "inside_sqrt":
    const ${ct} inv = (${ct})1 / sqrt(v + ${eps});
        % else:
    const ${ct} inv = (${ct})1 / (sqrt(v) + ${eps});
        % endif
    % endif
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
    % if normalize_variance:
        ${store(t, "out", "base + roff", "(" + load(t, "in", "base + roff") + " - mean) * inv")}
    % else:
        ${store(t, "out", "base + roff", load(t, "in", "base + roff") + " - mean")}
    % endif
    }
% else:
    ${ct} s = 0;
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
        const ${ct} x = ${load(t, "in", "base + roff")};
        s += x * x;
    }
    ${allreduce("s")}
    % if mode == "rms":
    const ${ct} inv = (${ct})1 / sqrt(s / (${ct})${R} + ${eps});
    % elif eps_mode == "add":
    const ${ct} inv = (${ct})1 / sqrt(s + ${eps});
    % else:
    const ${ct} inv = (${ct})1 / sqrt(fmax(s, ${eps}));
    % endif
<% scaled = " * inv" + ("" if gamma_t is None else " * " + load(gamma_t, "gamma", "r")) %>
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
        ${store(t, "out", "base + roff", load(t, "in", "base + roff") + scaled)}
    }
% endif
}
