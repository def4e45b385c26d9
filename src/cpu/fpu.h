#pragma once
// IEEE 754 binary32/binary64 arithmetic as RISC-V F and D define it: results bit-exact in all
// five rounding modes, the five exception flags accumulated, the canonical NaN for every
// NaN result, RISC-V's saturating float-to-integer conversions and its fmin/fmax rules.
// Values travel as raw bits (uint32_t single, uint64_t double); NaN-boxing of singles in the
// 64-bit f registers is the hart's business, not this file's.
#include <cstdint>

namespace rvisor::cpu::fpu {

// fflags bits, as in the fcsr.
constexpr uint8_t kInexact = 1 << 0;
constexpr uint8_t kUnderflow = 1 << 1;
constexpr uint8_t kOverflow = 1 << 2;
constexpr uint8_t kDivideByZero = 1 << 3;
constexpr uint8_t kInvalid = 1 << 4;

enum class RoundingMode : uint8_t {
    NearestEven = 0,
    TowardZero = 1,
    Down = 2,
    Up = 3,
    NearestMaxMagnitude = 4,
};

constexpr uint32_t kCanonicalNan32 = 0x7fc00000u;
constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000ull;

// T is uint32_t (single) or uint64_t (double). Every function ORs the exceptions it raises into
// `flags` and never clears any.
template <typename T> T add(T a, T b, RoundingMode rm, uint8_t& flags);
template <typename T> T sub(T a, T b, RoundingMode rm, uint8_t& flags);
template <typename T> T mul(T a, T b, RoundingMode rm, uint8_t& flags);
template <typename T> T div(T a, T b, RoundingMode rm, uint8_t& flags);
template <typename T> T sqrt(T a, RoundingMode rm, uint8_t& flags);
// (±a·b) ± c with one rounding: fmadd = fused(a,b,c,false,false), fmsub = (false,true),
// fnmsub = (true,false), fnmadd = (true,true).
template <typename T>
T fused_multiply_add(
    T a, T b, T c, bool negate_product, bool negate_addend, RoundingMode rm, uint8_t& flags);
template <typename T> T min(T a, T b, uint8_t& flags);
template <typename T> T max(T a, T b, uint8_t& flags);
// feq is quiet (invalid only for signalling NaNs); flt and fle signal on any NaN.
template <typename T> bool equal(T a, T b, uint8_t& flags);
template <typename T> bool less(T a, T b, uint8_t& flags);
template <typename T> bool less_or_equal(T a, T b, uint8_t& flags);
// The fclass result: one of bits 0..9.
template <typename T> uint64_t classify(T a);

// Float to integer, saturating as the spec's table says (NaN gives the largest positive value),
// invalid on saturation or NaN, inexact when rounding changed the value.
template <typename T> int32_t to_int32(T a, RoundingMode rm, uint8_t& flags);
template <typename T> uint32_t to_uint32(T a, RoundingMode rm, uint8_t& flags);
template <typename T> int64_t to_int64(T a, RoundingMode rm, uint8_t& flags);
template <typename T> uint64_t to_uint64(T a, RoundingMode rm, uint8_t& flags);
// Integer to float.
template <typename T> T from_int32(int32_t value, RoundingMode rm, uint8_t& flags);
template <typename T> T from_uint32(uint32_t value, RoundingMode rm, uint8_t& flags);
template <typename T> T from_int64(int64_t value, RoundingMode rm, uint8_t& flags);
template <typename T> T from_uint64(uint64_t value, RoundingMode rm, uint8_t& flags);

uint32_t double_to_single(uint64_t a, RoundingMode rm, uint8_t& flags);
uint64_t single_to_double(uint32_t a, uint8_t& flags);

} // namespace rvisor::cpu::fpu
