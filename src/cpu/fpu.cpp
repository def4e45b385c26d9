#include "cpu/fpu.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <limits>
#include <type_traits>

// The host's SSE unit does the arithmetic: it rounds correctly in four of the five modes and
// detects tininess after rounding, as RISC-V does. Each operation runs with MXCSR set to the
// guest's rounding mode and cleared flags, and the caller's MXCSR is put back afterwards. The
// fifth mode, round to nearest with ties away from zero (RMM), runs as nearest-even and then
// corrects the one case where the two differ: an exact tie that nearest-even rounded toward zero.

namespace rvisor::cpu::fpu {
namespace {

template <typename T> using Float = std::conditional_t<sizeof(T) == 4, float, double>;

template <typename T> constexpr T kSignBit = T(1) << (sizeof(T) * 8 - 1);
template <typename T> constexpr int kFractionBits = std::numeric_limits<Float<T>>::digits - 1;
template <typename T> constexpr T kImplicitBit = T(1) << kFractionBits<T>;
template <typename T> constexpr T kFractionMask = kImplicitBit<T> - 1;
template <typename T> constexpr T kExponentMask = (kSignBit<T> - 1) & ~kFractionMask<T>;
template <typename T> constexpr T kQuietBit = T(1) << (kFractionBits<T> - 1);
template <typename T>
constexpr T kCanonicalNan = sizeof(T) == 4 ? kCanonicalNan32 : kCanonicalNan64;
template <typename T> constexpr int kBias = std::numeric_limits<Float<T>>::max_exponent - 1;

template <typename T> bool is_nan(T a) { return (a & ~kSignBit<T>) > kExponentMask<T>; }
template <typename T> bool is_signaling_nan(T a) { return is_nan(a) && !(a & kQuietBit<T>); }
template <typename T> bool is_infinity(T a) { return (a & ~kSignBit<T>) == kExponentMask<T>; }
template <typename T> bool is_zero(T a) { return (a & ~kSignBit<T>) == 0; }
template <typename T> Float<T> host_value(T a) { return std::bit_cast<Float<T>>(a); }

// Any NaN operand makes the result the canonical NaN, and a signalling one is invalid.
template <typename... T> bool has_nan_operand(uint8_t& flags, T... operands)
{
    if ((is_signaling_nan(operands) || ...))
        flags |= kInvalid;
    return (is_nan(operands) || ...);
}

// ±magnitude·2^exponent, exactly.
struct Dyadic {
    bool negative;
    uint64_t magnitude;
    int exponent;
};

constexpr Dyadic kZero { false, 0, 0 };
constexpr Dyadic kOne { false, 1, 0 };

template <typename T> Dyadic exact_value(T a)
{
    bool const negative = a & kSignBit<T>;
    int const biased = int((a & kExponentMask<T>) >> kFractionBits<T>);
    T const fraction = a & kFractionMask<T>;
    int const lowest_bit = 1 - kBias<T> - kFractionBits<T>;
    if (biased == 0)
        return { negative, fraction, lowest_bit };
    return { negative, fraction | kImplicitBit<T>, lowest_bit + biased - 1 };
}

// The exact midpoint between a finite `rounded` and its neighbour farther from zero; for ±0 that
// neighbour is the smallest subnormal of the same sign.
template <typename T> Dyadic midpoint_away_from_zero(T rounded)
{
    Dyadic const value = exact_value(rounded);
    return { value.negative, 2 * value.magnitude + 1, value.exponent - 1 };
}

// Whether u·v + w == z exactly. Every magnitude here is below 2^108 (a 64-bit integer, or at most
// a 54-bit midpoint times a 53-bit significand). In a zero sum the lowest set bit must cancel, so
// two terms have it at the same position and, being below 2^108 from there, keep the third below
// 2^109: anything larger cannot sum to zero, and the rest fits in 128 bits.
bool product_sum_equals(Dyadic u, Dyadic v, Dyadic w, Dyadic z)
{
    struct Term {
        bool negative;
        unsigned __int128 magnitude;
        int exponent;
    };
    auto normalized = [](Dyadic d) {
        int const zeros = d.magnitude ? std::countr_zero(d.magnitude) : 0;
        return Dyadic { d.negative, d.magnitude >> zeros, d.exponent + zeros };
    };
    u = normalized(u);
    v = normalized(v);
    w = normalized(w);
    z = normalized(z);
    Term const terms[] = {
        { u.negative != v.negative, static_cast<unsigned __int128>(u.magnitude) * v.magnitude,
            u.exponent + v.exponent },
        { w.negative, w.magnitude, w.exponent },
        { !z.negative, z.magnitude, z.exponent },
    };
    int lowest = INT_MAX;
    for (auto const& term : terms) {
        if (term.magnitude != 0)
            lowest = std::min(lowest, term.exponent);
    }
    __int128 sum = 0;
    for (auto const& term : terms) {
        if (term.magnitude == 0)
            continue;
        int const shift = term.exponent - lowest;
        if (shift >= 109 || (term.magnitude >> (109 - shift)) != 0)
            return false;
        auto const value = static_cast<__int128>(term.magnitude << shift);
        sum += term.negative ? -value : value;
    }
    return sum == 0;
}

// Passes a value through an asm statement the compiler cannot see into, so the operation that
// consumes or produces it stays between the MXCSR writes and is never folded at compile time.
template <typename Value> Value pinned(Value value)
{
    if constexpr (std::is_floating_point_v<Value>)
        asm volatile("" : "+x"(value));
    else
        asm volatile("" : "+r"(value));
    return value;
}

uint32_t read_mxcsr()
{
    uint32_t value;
    asm volatile("stmxcsr %0" : "=m"(value));
    return value;
}

void write_mxcsr(uint32_t value) { asm volatile("ldmxcsr %0" : : "m"(value)); }

// All exceptions masked, DAZ and FTZ off; RMM runs as nearest-even (see the top of the file).
uint32_t mxcsr_for(RoundingMode rm)
{
    constexpr uint32_t kMaskAll = 0x1f80;
    constexpr uint32_t kRoundingControl[] = { 0, 3, 1, 2, 0 };
    return kMaskAll | kRoundingControl[static_cast<int>(rm)] << 13;
}

uint8_t flags_from_mxcsr(uint32_t mxcsr)
{
    uint8_t flags = 0;
    if (mxcsr & (1 << 0))
        flags |= kInvalid;
    if (mxcsr & (1 << 2))
        flags |= kDivideByZero;
    if (mxcsr & (1 << 3))
        flags |= kOverflow;
    if (mxcsr & (1 << 4))
        flags |= kUnderflow;
    if (mxcsr & (1 << 5))
        flags |= kInexact;
    return flags;
}

// Runs `operation` (which pins its operands) on the host under `rm` and returns its result as
// T's bits. In RMM, nearest-even's result stands unless the operation was inexact and
// `is_exact_result(m)` says the exact result was the midpoint m between that result and its
// neighbour away from zero. Both modes agree on overflow and on tininess after rounding (a tie
// just below the smallest normal or above the largest finite has an odd lower neighbour, so
// nearest-even goes up too), so nearest-even's flags are RMM's.
template <typename T, typename Operation, typename IsExactResult>
T round_on_host(RoundingMode rm, uint8_t& flags, Operation operation, IsExactResult is_exact_result)
{
    uint32_t const saved = read_mxcsr();
    write_mxcsr(mxcsr_for(rm));
    auto const value = pinned(operation());
    uint8_t const raised = flags_from_mxcsr(read_mxcsr());
    write_mxcsr(saved);

    flags |= raised;
    T const result = std::bit_cast<T>(value);
    if (is_nan(result))
        return kCanonicalNan<T>;
    if (rm == RoundingMode::NearestMaxMagnitude && (raised & kInexact) && !is_infinity(result)
        && is_exact_result(midpoint_away_from_zero(result)))
        return result + 1;
    return result;
}

template <typename Value> Value round_to_integral(Value value, RoundingMode rm)
{
    switch (rm) {
    case RoundingMode::NearestEven:
        if (std::fabs(value - std::trunc(value)) == Value(0.5))
            return 2 * std::round(value / 2);
        return std::round(value);
    case RoundingMode::TowardZero: return std::trunc(value);
    case RoundingMode::Down: return std::floor(value);
    case RoundingMode::Up: return std::ceil(value);
    case RoundingMode::NearestMaxMagnitude: return std::round(value);
    }
    return value;
}

template <typename Integer, typename T> Integer to_integer(T a, RoundingMode rm, uint8_t& flags)
{
    using Limits = std::numeric_limits<Integer>;
    using Value = Float<T>;
    // 2^digits is the first integer above the range, and exact in either format.
    Value const above = Value(uint64_t(1) << (Limits::digits - 1)) * 2;
    Value const lowest = Limits::is_signed ? -above : 0;
    if (is_nan(a)) {
        flags |= kInvalid;
        return Limits::max();
    }
    Value const value = host_value(a);
    Value const rounded = round_to_integral(value, rm);
    if (rounded < lowest) {
        flags |= kInvalid;
        return Limits::min();
    }
    if (rounded >= above) {
        flags |= kInvalid;
        return Limits::max();
    }
    if (rounded != value)
        flags |= kInexact;
    return static_cast<Integer>(rounded);
}

template <typename T, typename Integer>
T from_integer(Integer value, RoundingMode rm, uint8_t& flags)
{
    bool const negative = value < 0;
    Dyadic const exact { negative, negative ? 0 - uint64_t(value) : uint64_t(value), 0 };
    return round_on_host<T>(
        rm, flags, [=] { return static_cast<Float<T>>(pinned(value)); },
        [&](Dyadic m) { return product_sum_equals(exact, kOne, kZero, m); });
}

// Keys that order non-NaN values as integers do, with -0 below +0.
template <typename T> T ordering_key(T a) { return (a & kSignBit<T>) ? ~a : a | kSignBit<T>; }

template <typename T> T min_or_max(T a, T b, bool want_min, uint8_t& flags)
{
    if (has_nan_operand(flags, a, b)) {
        if (is_nan(a) && is_nan(b))
            return kCanonicalNan<T>;
        return is_nan(a) ? b : a;
    }
    return (ordering_key(a) < ordering_key(b)) == want_min ? a : b;
}

} // namespace

template <typename T> T add(T a, T b, RoundingMode rm, uint8_t& flags)
{
    if (has_nan_operand(flags, a, b))
        return kCanonicalNan<T>;
    return round_on_host<T>(
        rm, flags, [=] { return pinned(host_value(a)) + pinned(host_value(b)); },
        [=](Dyadic m) { return product_sum_equals(exact_value(a), kOne, exact_value(b), m); });
}

// IEEE defines a - b as a + (-b), down to the sign of a zero result.
template <typename T> T sub(T a, T b, RoundingMode rm, uint8_t& flags)
{
    return add(a, b ^ kSignBit<T>, rm, flags);
}

template <typename T> T mul(T a, T b, RoundingMode rm, uint8_t& flags)
{
    if (has_nan_operand(flags, a, b))
        return kCanonicalNan<T>;
    return round_on_host<T>(
        rm, flags, [=] { return pinned(host_value(a)) * pinned(host_value(b)); },
        [=](Dyadic m) { return product_sum_equals(exact_value(a), exact_value(b), kZero, m); });
}

template <typename T> T div(T a, T b, RoundingMode rm, uint8_t& flags)
{
    if (has_nan_operand(flags, a, b))
        return kCanonicalNan<T>;
    // A quotient can be an exact tie only in the subnormal range (2^-1074 / 2, say).
    return round_on_host<T>(
        rm, flags, [=] { return pinned(host_value(a)) / pinned(host_value(b)); },
        [=](Dyadic m) { return product_sum_equals(m, exact_value(b), kZero, exact_value(a)); });
}

template <typename T> T sqrt(T a, RoundingMode rm, uint8_t& flags)
{
    if (has_nan_operand(flags, a))
        return kCanonicalNan<T>;
    // Never a tie: a midpoint's p + 1 significant bits square to over 2p, too many for a p-bit
    // operand, and square roots stay far above the subnormal range, where midpoints are shorter.
    return round_on_host<T>(
        rm, flags, [=] { return std::sqrt(pinned(host_value(a))); }, [](Dyadic) { return false; });
}

template <typename T>
T fused_multiply_add(
    T a, T b, T c, bool negate_product, bool negate_addend, RoundingMode rm, uint8_t& flags)
{
    a ^= negate_product ? kSignBit<T> : 0;
    c ^= negate_addend ? kSignBit<T> : 0;
    // RISC-V makes ∞·0 invalid even when the addend is a quiet NaN, which IEEE leaves optional.
    if ((is_infinity(a) && is_zero(b)) || (is_zero(a) && is_infinity(b))) {
        flags |= kInvalid;
        return kCanonicalNan<T>;
    }
    if (has_nan_operand(flags, a, b, c))
        return kCanonicalNan<T>;
    return round_on_host<T>(
        rm, flags,
        [=] {
            return std::fma(pinned(host_value(a)), pinned(host_value(b)), pinned(host_value(c)));
        },
        [=](Dyadic m) {
            return product_sum_equals(exact_value(a), exact_value(b), exact_value(c), m);
        });
}

template <typename T> T min(T a, T b, uint8_t& flags) { return min_or_max(a, b, true, flags); }
template <typename T> T max(T a, T b, uint8_t& flags) { return min_or_max(a, b, false, flags); }

template <typename T> bool equal(T a, T b, uint8_t& flags)
{
    return !has_nan_operand(flags, a, b) && host_value(a) == host_value(b);
}

template <typename T> bool less(T a, T b, uint8_t& flags)
{
    if (is_nan(a) || is_nan(b)) {
        flags |= kInvalid;
        return false;
    }
    return host_value(a) < host_value(b);
}

template <typename T> bool less_or_equal(T a, T b, uint8_t& flags)
{
    if (is_nan(a) || is_nan(b)) {
        flags |= kInvalid;
        return false;
    }
    return host_value(a) <= host_value(b);
}

template <typename T> uint64_t classify(T a)
{
    bool const negative = a & kSignBit<T>;
    int bit;
    if (is_nan(a))
        bit = is_signaling_nan(a) ? 8 : 9;
    else if (is_infinity(a))
        bit = negative ? 0 : 7;
    else if (is_zero(a))
        bit = negative ? 3 : 4;
    else if ((a & kExponentMask<T>) == 0)
        bit = negative ? 2 : 5;
    else
        bit = negative ? 1 : 6;
    return uint64_t(1) << bit;
}

template <typename T> int32_t to_int32(T a, RoundingMode rm, uint8_t& flags)
{
    return to_integer<int32_t>(a, rm, flags);
}
template <typename T> uint32_t to_uint32(T a, RoundingMode rm, uint8_t& flags)
{
    return to_integer<uint32_t>(a, rm, flags);
}
template <typename T> int64_t to_int64(T a, RoundingMode rm, uint8_t& flags)
{
    return to_integer<int64_t>(a, rm, flags);
}
template <typename T> uint64_t to_uint64(T a, RoundingMode rm, uint8_t& flags)
{
    return to_integer<uint64_t>(a, rm, flags);
}

template <typename T> T from_int32(int32_t value, RoundingMode rm, uint8_t& flags)
{
    return from_integer<T>(value, rm, flags);
}
template <typename T> T from_uint32(uint32_t value, RoundingMode rm, uint8_t& flags)
{
    return from_integer<T>(value, rm, flags);
}
template <typename T> T from_int64(int64_t value, RoundingMode rm, uint8_t& flags)
{
    return from_integer<T>(value, rm, flags);
}
template <typename T> T from_uint64(uint64_t value, RoundingMode rm, uint8_t& flags)
{
    return from_integer<T>(value, rm, flags);
}

uint32_t double_to_single(uint64_t a, RoundingMode rm, uint8_t& flags)
{
    if (has_nan_operand(flags, a))
        return kCanonicalNan32;
    return round_on_host<uint32_t>(
        rm, flags, [=] { return static_cast<float>(pinned(host_value(a))); },
        [=](Dyadic m) { return product_sum_equals(exact_value(a), kOne, kZero, m); });
}

uint64_t single_to_double(uint32_t a, uint8_t& flags)
{
    if (has_nan_operand(flags, a))
        return kCanonicalNan64;
    return std::bit_cast<uint64_t>(static_cast<double>(host_value(a)));
}

#define INSTANTIATE(T)                                                                             \
    template T add(T, T, RoundingMode, uint8_t&);                                                  \
    template T sub(T, T, RoundingMode, uint8_t&);                                                  \
    template T mul(T, T, RoundingMode, uint8_t&);                                                  \
    template T div(T, T, RoundingMode, uint8_t&);                                                  \
    template T sqrt(T, RoundingMode, uint8_t&);                                                    \
    template T fused_multiply_add(T, T, T, bool, bool, RoundingMode, uint8_t&);                    \
    template T min(T, T, uint8_t&);                                                                \
    template T max(T, T, uint8_t&);                                                                \
    template bool equal(T, T, uint8_t&);                                                           \
    template bool less(T, T, uint8_t&);                                                            \
    template bool less_or_equal(T, T, uint8_t&);                                                   \
    template uint64_t classify(T);                                                                 \
    template int32_t to_int32(T, RoundingMode, uint8_t&);                                          \
    template uint32_t to_uint32(T, RoundingMode, uint8_t&);                                        \
    template int64_t to_int64(T, RoundingMode, uint8_t&);                                          \
    template uint64_t to_uint64(T, RoundingMode, uint8_t&);                                        \
    template T from_int32(int32_t, RoundingMode, uint8_t&);                                        \
    template T from_uint32(uint32_t, RoundingMode, uint8_t&);                                      \
    template T from_int64(int64_t, RoundingMode, uint8_t&);                                        \
    template T from_uint64(uint64_t, RoundingMode, uint8_t&);

INSTANTIATE(uint32_t)
INSTANTIATE(uint64_t)
#undef INSTANTIATE

} // namespace rvisor::cpu::fpu
