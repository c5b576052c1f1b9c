## NV12 / I420 to RGB / BGR (ir/ops/color.py has the formulas): one work-item per output pixel of [N, H, W, 3].
## params: t (Type of the planes and output), kind ("NV12" | "I420"), planes (1, 2 or 3), bgr (bool), N, H, W,
## idx (C index type). Plane pointers: p0 (Y or the single plane), p1, p2 (UV or U, V where given).
<%
def y_at():
    return "((%s)n * %d + h) * %d + w" % (idx, (H * 3 // 2) if planes == 1 else H, W)
%>
__kernel void ${name}(__global ${ctype(t)} *restrict out, __global const ${ctype(t)} *restrict p0
% if planes > 1:
    , __global const ${ctype(t)} *restrict p1
% endif
% if planes > 2:
    , __global const ${ctype(t)} *restrict p2
% endif
) {
    const ${idx} gid = get_global_id(0);
    if (gid >= ${N * H * W}) return;
    const int w = gid % ${W};
    const int h = (gid / ${W}) % ${H};
    const ${idx} n = gid / ${H * W};
    const ${idx} c = (${idx})(h / 2) * ${W // 2} + w / 2;        // the pixel's 2x2 chroma block
    const float y = ${load(t, "p0", y_at())} - 16.0f;
% if planes == 1:
    // the chroma after the Y rows of this image: NV12 interleaved UV, I420 all U then all V
    const ${idx} base = (${idx})n * ${H * 3 // 2 * W} + ${H * W};
    % if kind == "NV12":
    const float u = ${load(t, "p0", "base + 2 * c")} - 128.0f;
    const float v = ${load(t, "p0", "base + 2 * c + 1")} - 128.0f;
    % else:
    const float u = ${load(t, "p0", "base + c")} - 128.0f;
    const float v = ${load(t, "p0", "base + %d + c" % (H * W // 4))} - 128.0f;
    % endif
% elif kind == "NV12":
    const float u = ${load(t, "p1", "2 * ((%s)n * %d + c)" % (idx, H * W // 4))} - 128.0f;
    const float v = ${load(t, "p1", "2 * ((%s)n * %d + c) + 1" % (idx, H * W // 4))} - 128.0f;
% else:
    const float u = ${load(t, "p1", "(%s)n * %d + c" % (idx, H * W // 4))} - 128.0f;
    const float v = ${load(t, "p2", "(%s)n * %d + c" % (idx, H * W // 4))} - 128.0f;
% endif
    ## u8 results round to nearest (as OpenVINO's)
<% rnd = "rint" if t.name == "u8" else "" %>\
    const float r = ${rnd}(clamp(1.164f * y + 1.596f * v, 0.0f, 255.0f));
    const float g = ${rnd}(clamp(1.164f * y - 0.813f * v - 0.391f * u, 0.0f, 255.0f));
    const float b = ${rnd}(clamp(1.164f * y + 2.018f * u, 0.0f, 255.0f));
    ${store(t, "out", "gid * 3", "b" if bgr else "r")}
    ${store(t, "out", "gid * 3 + 1", "g")}
    ${store(t, "out", "gid * 3 + 2", "r" if bgr else "b")}
}
