## Shared by every program: conversions of the narrow element types (one element per byte; bf16 in 16
## bits) to and from their compute types. Encoders round to nearest even and do not saturate: overflow
## gives infinity where the format has one, else NaN (saturation is a Clamp before the Convert).

// Vectors at any element-aligned address (ovcl_<type><n>_u, through the helpers vload_u / vstore_u in
// ovcl/lowering/base.py): a plain vector pointer assumes the vector's own alignment, PoCL's vloadN/vstoreN are
// an out-of-line call each, and vectors built from scalars at overlapping offsets become shuffles of scalar
// loads (the taps of a direct 3x3 convolution: a third of its time)
% for t, size in (("float", 4), ("int", 4), ("uint", 4), ("long", 8), ("ulong", 8), ("short", 2), ("ushort", 2), ("char", 1), ("uchar", 1)):
    % for n in (2, 4, 8, 16):
typedef ${t}${n} ovcl_${t}${n}_u __attribute__((aligned(${size})));
    % endfor
% endfor
#if defined(cl_khr_fp64) || defined(__opencl_c_fp64)
% for n in (2, 4, 8, 16):
typedef double${n} ovcl_double${n}_u __attribute__((aligned(8)));
% endfor
#endif

// minifloat with E exponent and M mantissa bits, bias B; kind: 0 = "fn" (no inf, NaN = all ones),
// 1 = "fnuz" (no inf, no -0, NaN = 0x80), 2 = IEEE-like (inf and NaN at the top exponent), 3 = no inf/NaN
static inline float ovcl_mf_load(uint c, int E, int M, int B, int kind) {
    const uint sign = (c >> (E + M)) & 1u;
    const uint mag = c & ((1u << (E + M)) - 1u);
    const uint e = mag >> M, m = mag & ((1u << M) - 1u);
    if (kind == 0 && mag == (1u << (E + M)) - 1u) return NAN;
    if (kind == 1 && sign && mag == 0u) return NAN;
    if (kind == 2 && e == (1u << E) - 1u) return m ? NAN : (sign ? -INFINITY : INFINITY);
    const float v = e == 0u ? ldexp((float)m, 1 - B - M) : ldexp((float)((1u << M) + m), (int)e - B - M);
    return sign ? -v : v;
}

static inline uchar ovcl_mf_store(float x, int E, int M, int B, int kind, uint max_code) {
    const uint bits = as_uint(x);
    const uint sbit = (bits >> 31) << (E + M);
    if (isnan(x)) {                               // the NaN codes ml_dtypes (and so ONNX) use
        if (kind == 1) return 0x80;
        if (kind == 2) return (uchar)(0x7Eu | sbit);
        if (kind == 3) return (uchar)(1u << (E + M));
        return (uchar)(((1u << (E + M)) - 1u) | sbit);
    }
    const uint ab = bits & 0x7FFFFFFFu;
    const int e = (int)(ab >> 23) - 127;
    uint code;
    if (isinf(x) || e + B >= (1 << E) + 1) {
        code = max_code + 1u;
    } else if (e < 1 - B) {                        // subnormal (or zero) in the target
        code = (uint)rint(ldexp(fabs(x), B - 1 + M));
    } else {
        const uint mant = ab & 0x7FFFFFu;
        const int shift = 23 - M;
        const uint r = mant + ((1u << (shift - 1)) - 1u) + ((mant >> shift) & 1u);
        code = ((uint)(e + B) << M) + (r >> shift);   // a mantissa carry moves into the exponent
    }
    if (code > max_code) {
        if (kind == 2) code = ((1u << E) - 1u) << M;   // infinity
        else if (kind == 3) code = max_code;
        else return (uchar)(kind == 1 ? 0x80u : (((1u << (E + M)) - 1u) | sbit));
    }
    if (kind == 1 && code == 0u) return 0;        // fnuz has no negative zero
    return (uchar)(code | sbit);
}

static inline float ovcl_f8e4m3_load(uchar c) { return ovcl_mf_load(c, 4, 3, 7, 0); }
static inline uchar ovcl_f8e4m3_store(float x) { return ovcl_mf_store(x, 4, 3, 7, 0, 0x7Eu); }
static inline float ovcl_f8e4m3fnuz_load(uchar c) { return ovcl_mf_load(c, 4, 3, 8, 1); }
static inline uchar ovcl_f8e4m3fnuz_store(float x) { return ovcl_mf_store(x, 4, 3, 8, 1, 0x7Fu); }
static inline float ovcl_f8e5m2_load(uchar c) { return ovcl_mf_load(c, 5, 2, 15, 2); }
static inline uchar ovcl_f8e5m2_store(float x) { return ovcl_mf_store(x, 5, 2, 15, 2, 0x7Bu); }
static inline float ovcl_f8e5m2fnuz_load(uchar c) { return ovcl_mf_load(c, 5, 2, 16, 1); }
static inline uchar ovcl_f8e5m2fnuz_store(float x) { return ovcl_mf_store(x, 5, 2, 16, 1, 0x7Fu); }
static inline float ovcl_f4e2m1_load(uchar c) { return ovcl_mf_load(c, 2, 1, 1, 3); }
static inline uchar ovcl_f4e2m1_store(float x) { return ovcl_mf_store(x, 2, 1, 1, 3, 0x7u); }

static inline float ovcl_bf16_load(ushort c) { return as_float((uint)c << 16); }
static inline ushort ovcl_bf16_store(float x) {
    const uint b = as_uint(x);
    if (isnan(x)) return (ushort)((b >> 16) | 0x40u);
    return (ushort)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

// narrow integers keep their value in the low bits of the byte
static inline int ovcl_i4_load(uchar c) { return ((int)(char)(uchar)(c << 4)) >> 4; }
static inline uchar ovcl_i4_store(int v) { return (uchar)(v & 0xF); }
static inline int ovcl_u4_load(uchar c) { return (int)(c & 0xFu); }
static inline uchar ovcl_u4_store(int v) { return (uchar)(v & 0xF); }
static inline int ovcl_i2_load(uchar c) { return ((int)(char)(uchar)(c << 6)) >> 6; }
static inline uchar ovcl_i2_store(int v) { return (uchar)(v & 0x3); }
static inline int ovcl_u2_load(uchar c) { return (int)(c & 0x3u); }
static inline uchar ovcl_u2_store(int v) { return (uchar)(v & 0x3); }

// Float math written out: PoCL 3.0 calls exp, tanh and erf out of line at 25-190 ns an element; these
// inline and stay within 2e-7 relative (erf: 1.5e-7 absolute above 1). Each comes as float (ovcl_exp) and
// as float2..float16 (ovcl_exp8), one source: PoCL does not vectorise a scalar call across work-items, so
// vector kernels name the vector form (lowering.base.vector_math). Branch-free (selects only, which on
// vectors are the ternary's lane-wise form).
% for s in ("", "2", "4", "8", "16"):
<% F, I, U = "float" + s, "int" + s, "uint" + s %>\
static inline ${F} ovcl_exp${s}(${F} x) {
    const ${F} xc = x > 88.7228f ? 88.7228f : (x < -87.3365f ? -87.3365f : x);
    // nearest integer to x / ln 2: adding 1.5 * 2^23 rounds it into t's low mantissa bits, which also give it
    // as an int without a float-to-int conversion (PoCL 3.0's LLVM fails to select float16's: "Cannot select
    // X86ISD::CVTTP2SI" on AVX-512 hosts, which prefer float16)
    const ${F} t = xc * 1.44269504f + 12582912.0f;
    const ${F} n = t - 12582912.0f;
    ${F} r = xc - n * 0.693145752f;                                   // Cody-Waite: ln 2 in two parts
    r = r - n * 1.42860677e-06f;
    ${F} p = 1.98412698e-04f;                                         // Taylor series of e^r, |r| <= ln2/2
    p = p * r + 1.38888889e-03f;
    p = p * r + 8.33333333e-03f;
    p = p * r + 4.16666667e-02f;
    p = p * r + 1.66666667e-01f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const ${I} e = as_${I}(t) - 0x4B400000, e1 = e >> 1;              // 2^n as two factors: n may be 128
    const ${F} v = p * as_${F}((e1 + 127) << 23) * as_${F}((e - e1 + 127) << 23);
    return x != x ? x : (x > 88.72283f ? INFINITY : (x < -87.33654f ? 0.0f : v));
}

static inline ${F} ovcl_tanh${s}(${F} x) {
    const ${F} a = as_${F}(as_${U}(x) & 0x7FFFFFFFu), z = a * a;     // fabs() is a call on PoCL
    ${F} p = 3.592128037e-03f;                                        // Taylor series to x^13 near 0
    p = p * z - 8.863235530e-03f;
    p = p * z + 2.186948854e-02f;
    p = p * z - 5.396825397e-02f;
    p = p * z + 1.333333333e-01f;
    p = p * z - 3.333333333e-01f;
    const ${F} near = a + a * z * p;
    const ${F} far = 1.0f - 2.0f / (ovcl_exp${s}(2.0f * a) + 1.0f);
    const ${F} y = a < 0.55f ? near : far;
    return x != x ? x : (x < 0.0f ? -y : y);
}

static inline ${F} ovcl_sigmoid${s}(${F} x) { return 1.0f / (1.0f + ovcl_exp${s}(-x)); }

static inline ${F} ovcl_erf${s}(${F} x) {
    const ${F} a = as_${F}(as_${U}(x) & 0x7FFFFFFFu), z = a * a;     // fabs() is a call on PoCL
    ${F} p = -1.229055530e-09f;                                       // Maclaurin series, 12 terms, |x| <= 1
    p = p * z + 1.480719282e-08f;
    p = p * z - 1.636584469e-07f;
    p = p * z + 1.646211437e-06f;
    p = p * z - 1.492565036e-05f;
    p = p * z + 1.205533298e-04f;
    p = p * z - 8.548327023e-04f;
    p = p * z + 5.223977625e-03f;
    p = p * z - 2.686617065e-02f;
    p = p * z + 1.128379167e-01f;
    p = p * z - 3.761263890e-01f;
    p = p * z + 1.128379167e+00f;
    const ${F} t = 1.0f / (1.0f + 0.3275911f * a);                   // Abramowitz-Stegun 7.1.26 above 1
    ${F} q = 1.061405429f;
    q = q * t - 1.453152027f;
    q = q * t + 1.421413741f;
    q = q * t - 0.284496736f;
    q = q * t + 0.254829592f;
    const ${F} far = 1.0f - q * t * ovcl_exp${s}(-z);
    const ${F} y = a <= 1.0f ? a * p : (a < 3.92f ? far : 1.0f);
    return x != x ? x : (x < 0.0f ? -y : y);
}

static inline ${F} ovcl_fabs${s}(${F} x) { return as_${F}(as_${U}(x) & 0x7FFFFFFFu); }
// fmin/fmax semantics (a NaN operand yields the other), as selects
static inline ${F} ovcl_fmin${s}(${F} a, ${F} b) { return (b < a || a != a) ? b : a; }
static inline ${F} ovcl_fmax${s}(${F} a, ${F} b) { return (b > a || a != a) ? b : a; }

% endfor
// f16 bits of a FINITE value (weights packed as f16, see lowering.base.half_weights) to float, inline: the
// sign-extended bits shifted into f32 position keep the sign in bit 31 and exponent/mantissa in bits 27..13;
// the mask drops the sign's copies, and x 2^112 rebiases the exponent (f16 subnormals become f32 normals).
// 4 integer/float ops a vector and no call (vload_half is out of line on PoCL). Wrong for inf/NaN.
static inline float ovcl_h2f(ushort h) {
    return as_float(((uint)(int)(short)h << 13) & 0x8fffe000u) * 0x1p112f;
}
% for n in (2, 4, 8, 16):
static inline float${n} ovcl_h2f${n}(ushort${n} h) {
    return as_float${n}((as_uint${n}(convert_int${n}(as_short${n}(h))) << 13) & 0x8fffe000u) * 0x1p112f;
}
% endfor
