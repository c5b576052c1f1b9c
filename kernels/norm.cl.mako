## MVN and NormalizeL2 over a set of axes: one work-group per normalised segment. MVN: mean, then the
## variance from centred values (two passes over the segment, exact in float), then the output pass.
## NormalizeL2: sum of squares, then the output pass.
## params: t (Type), mode ("mvn" | "l2"), R (segment size), WG, base_code (sets long base from o),
##   red_code (sets long roff from r), normalize_variance, eps (C literal), eps_mode
<% ct = cctype(t) %>
__kernel __attribute__((reqd_work_group_size(${WG}, 1, 1)))
void ${name}(__global const ${ctype(t)} *restrict in, __global ${ctype(t)} *restrict out) {
    const long o = get_group_id(0);
% if WG > 1:
    __local ${ct} scratch[${WG}];
    const int lid = get_local_id(0);
% else:
    const int lid = 0;
% endif
    ${base_code}
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
    % if eps_mode == "add":
    const ${ct} inv = (${ct})1 / sqrt(s + ${eps});
    % else:
    const ${ct} inv = (${ct})1 / sqrt(fmax(s, ${eps}));
    % endif
    for (long r = lid; r < ${R}; r += ${WG}) {
        ${red_code}
        ${store(t, "out", "base + roff", load(t, "in", "base + roff") + " * inv")}
    }
% endif
}
