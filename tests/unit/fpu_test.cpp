#include "cpu/fpu.h"

#include <array>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <ostream>
#include <xmmintrin.h>

// Expected values are raw bits worked out by hand from the IEEE 754 rules (the comments give the
// exact operands and results), so no host arithmetic stands in for the thing under test.

namespace rvisor::cpu::fpu {
namespace {

// A result and the flags it raised, compared as one so a failure shows both.
template <typename T> struct Outcome {
    T value;
    uint8_t flags;
    bool operator==(const Outcome&) const = default;
};

template <typename T> void PrintTo(const Outcome<T>& outcome, std::ostream* os)
{
    *os << std::hex << "{0x" << +outcome.value << ", flags 0x" << +outcome.flags << "}";
}

template <typename T> Outcome<T> outcome(T value, uint8_t flags = 0) { return { value, flags }; }

template <typename Result, typename... Parameters, typename... Args>
Outcome<Result> run(Result (*function)(Parameters...), Args... args)
{
    uint8_t flags = 0;
    Result const value = function(args..., flags);
    return { value, flags };
}

// `function(args..., rm)` in RNE, RTZ, RDN, RUP and RMM order.
template <typename Result, typename... Parameters, typename... Args>
std::array<Outcome<Result>, 5> in_every_mode(Result (*function)(Parameters...), Args... args)
{
    std::array<Outcome<Result>, 5> outcomes;
    for (size_t mode = 0; mode < outcomes.size(); ++mode)
        outcomes[mode] = run(function, args..., static_cast<RoundingMode>(mode));
    return outcomes;
}

template <typename T> std::array<Outcome<T>, 5> per_mode(std::array<T, 5> values, uint8_t flags)
{
    std::array<Outcome<T>, 5> outcomes;
    for (size_t mode = 0; mode < values.size(); ++mode)
        outcomes[mode] = { values[mode], flags };
    return outcomes;
}

template <typename T> std::array<Outcome<T>, 5> in_every_mode_alike(T value, uint8_t flags)
{
    return per_mode<T>({ value, value, value, value, value }, flags);
}

constexpr auto kNearestEven = RoundingMode::NearestEven;
constexpr auto kTowardZero = RoundingMode::TowardZero;
constexpr auto kNearestMaxMagnitude = RoundingMode::NearestMaxMagnitude;

constexpr uint32_t kOne32 = 0x3f800000;
constexpr uint32_t kTwo32 = 0x40000000;
constexpr uint32_t kHalf32 = 0x3f000000;
constexpr uint32_t kNegativeOne32 = 0xbf800000;
constexpr uint32_t kMax32 = 0x7f7fffff;
constexpr uint32_t kInfinity32 = 0x7f800000;
constexpr uint32_t kNegativeInfinity32 = 0xff800000;
constexpr uint32_t kNegativeZero32 = 0x80000000;
constexpr uint32_t kQuietNan32 = 0x7fc12345;
constexpr uint32_t kSignalingNan32 = 0x7f800001;

constexpr uint64_t kOne64 = 0x3ff0000000000000;
constexpr uint64_t kTwo64 = 0x4000000000000000;
constexpr uint64_t kMax64 = 0x7fefffffffffffff;
constexpr uint64_t kInfinity64 = 0x7ff0000000000000;
constexpr uint64_t kNegativeZero64 = 0x8000000000000000;
constexpr uint64_t kQuietNan64 = 0xfff8000000000123;
constexpr uint64_t kSignalingNan64 = 0x7ff0000000000001;

constexpr uint8_t kOverflowed = kOverflow | kInexact;
constexpr uint8_t kUnderflowed = kUnderflow | kInexact;

TEST(FpuAdd, SingleTieBetweenOneAndItsSuccessorRoundsPerMode)
{
    // 1 + 2^-24 lies halfway between 1 and 1 + 2^-23.
    EXPECT_EQ(in_every_mode(add<uint32_t>, kOne32, 0x33800000u),
        per_mode<uint32_t>(
            { 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001 }, kInexact));
    EXPECT_EQ(in_every_mode(add<uint32_t>, kNegativeOne32, 0xb3800000u),
        per_mode<uint32_t>(
            { 0xbf800000, 0xbf800000, 0xbf800001, 0xbf800000, 0xbf800001 }, kInexact));
}

TEST(FpuAdd, TieWithOddLowerNeighbourGoesUpInBothNearestModes)
{
    // (1 + 2^-23) + 2^-24: nearest-even also goes up, to 1 + 2^-22.
    EXPECT_EQ(in_every_mode(add<uint32_t>, 0x3f800001u, 0x33800000u),
        per_mode<uint32_t>(
            { 0x3f800002, 0x3f800001, 0x3f800001, 0x3f800002, 0x3f800002 }, kInexact));
}

TEST(FpuAdd, NonTiesRoundToNearestInRmm)
{
    // 1 + 2^-24 + 2^-30 is above the midpoint, 1 + (2^-24 - 2^-47) below it.
    EXPECT_EQ(in_every_mode(add<uint32_t>, kOne32, 0x33820000u),
        per_mode<uint32_t>(
            { 0x3f800001, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001 }, kInexact));
    EXPECT_EQ(in_every_mode(add<uint32_t>, kOne32, 0x337fffffu),
        per_mode<uint32_t>(
            { 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800000 }, kInexact));
}

TEST(FpuAdd, DoubleTieRoundsAwayOnlyInRmm)
{
    // 1 + 2^-53.
    EXPECT_EQ(in_every_mode(add<uint64_t>, kOne64, 0x3ca0000000000000ull),
        per_mode<uint64_t>({ 0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000,
                               0x3ff0000000000001, 0x3ff0000000000001 },
            kInexact));
}

TEST(FpuAdd, ExactCancellationIsPositiveZeroExceptRoundingDown)
{
    EXPECT_EQ(in_every_mode(add<uint32_t>, kOne32, kNegativeOne32),
        per_mode<uint32_t>({ 0, 0, kNegativeZero32, 0, 0 }, 0));
    EXPECT_EQ(in_every_mode(add<uint64_t>, kNegativeZero64, kNegativeZero64),
        in_every_mode_alike(kNegativeZero64, 0));
}

TEST(FpuAdd, OverflowGivesInfinityOrLargestFinitePerMode)
{
    EXPECT_EQ(in_every_mode(add<uint32_t>, kMax32, kMax32),
        per_mode<uint32_t>({ kInfinity32, kMax32, kMax32, kInfinity32, kInfinity32 }, kOverflowed));
    EXPECT_EQ(in_every_mode(add<uint32_t>, 0xff7fffffu, 0xff7fffffu),
        per_mode<uint32_t>(
            { 0xff800000, 0xff7fffff, 0xff800000, 0xff7fffff, 0xff800000 }, kOverflowed));
    EXPECT_EQ(in_every_mode(add<uint64_t>, kMax64, kMax64),
        per_mode<uint64_t>({ kInfinity64, kMax64, kMax64, kInfinity64, kInfinity64 }, kOverflowed));
}

TEST(FpuAdd, HalfAnUlpAboveTheLargestFiniteOverflowsWhenRoundingToNearest)
{
    // The largest single plus 2^103 (half its ulp) is a tie whose even side is 2^128. Truncated,
    // even with an unbounded exponent, it is the largest single: inexact but no overflow.
    EXPECT_EQ(in_every_mode(add<uint32_t>, kMax32, 0x73000000u),
        (std::array<Outcome<uint32_t>, 5> { { { kInfinity32, kOverflowed }, { kMax32, kInexact },
            { kMax32, kInexact }, { kInfinity32, kOverflowed }, { kInfinity32, kOverflowed } } }));
    // A quarter ulp above only overflows when rounding up.
    EXPECT_EQ(run(add<uint32_t>, kMax32, 0x72800000u, kNearestEven), outcome(kMax32, kInexact));
    EXPECT_EQ(run(add<uint32_t>, kMax32, 0x72800000u, RoundingMode::Up),
        outcome(kInfinity32, kOverflowed));
}

TEST(FpuAdd, InfinityMinusInfinityIsInvalid)
{
    EXPECT_EQ(run(add<uint32_t>, kInfinity32, kNegativeInfinity32, kNearestEven),
        outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(sub<uint64_t>, kInfinity64, kInfinity64, kNearestEven),
        outcome(kCanonicalNan64, kInvalid));
    EXPECT_EQ(run(add<uint32_t>, kInfinity32, kMax32, kNearestEven), outcome(kInfinity32));
}

TEST(FpuAdd, NanOperandsGiveTheCanonicalNan)
{
    EXPECT_EQ(run(add<uint32_t>, kQuietNan32, kOne32, kNearestEven), outcome(kCanonicalNan32));
    EXPECT_EQ(run(add<uint32_t>, 0xffc00000u, kOne32, kNearestEven), outcome(kCanonicalNan32));
    EXPECT_EQ(run(add<uint32_t>, kOne32, kSignalingNan32, kNearestEven),
        outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(add<uint64_t>, kSignalingNan64, kQuietNan64, kNearestEven),
        outcome(kCanonicalNan64, kInvalid));
}

TEST(FpuSub, TieBelowOneRoundsPerMode)
{
    // 1 - 2^-25 lies halfway between 1 - 2^-24 and 1.
    EXPECT_EQ(in_every_mode(sub<uint32_t>, kOne32, 0x33000000u),
        per_mode<uint32_t>(
            { 0x3f800000, 0x3f7fffff, 0x3f7fffff, 0x3f800000, 0x3f800000 }, kInexact));
    EXPECT_EQ(
        in_every_mode(sub<uint32_t>, kNegativeZero32, 0u), in_every_mode_alike(kNegativeZero32, 0));
}

TEST(FpuMul, SingleTieRoundsAwayInRmm)
{
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24.
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x3f800800u, 0x3f800800u),
        per_mode<uint32_t>(
            { 0x3f801000, 0x3f801000, 0x3f801000, 0x3f801001, 0x3f801001 }, kInexact));
}

TEST(FpuMul, DoubleTieRoundsAwayInRmm)
{
    // (1 + 2^-26)(1 + 2^-27) = 1 + 3·2^-27 + 2^-53.
    EXPECT_EQ(in_every_mode(mul<uint64_t>, 0x3ff0000004000000ull, 0x3ff0000002000000ull),
        per_mode<uint64_t>({ 0x3ff0000006000000, 0x3ff0000006000000, 0x3ff0000006000000,
                               0x3ff0000006000001, 0x3ff0000006000001 },
            kInexact));
}

TEST(FpuMul, OverflowGivesInfinityOrLargestFinitePerMode)
{
    // 2^127 · ±2 = ±2^128.
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x7f000000u, kTwo32),
        per_mode<uint32_t>({ kInfinity32, kMax32, kMax32, kInfinity32, kInfinity32 }, kOverflowed));
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x7f000000u, 0xc0000000u),
        per_mode<uint32_t>(
            { 0xff800000, 0xff7fffff, 0xff800000, 0xff7fffff, 0xff800000 }, kOverflowed));
    EXPECT_EQ(in_every_mode(mul<uint64_t>, 0x7fe0000000000000ull, kTwo64),
        per_mode<uint64_t>({ kInfinity64, kMax64, kMax64, kInfinity64, kInfinity64 }, kOverflowed));
}

TEST(FpuMul, ExactSubnormalResultRaisesNothing)
{
    // 2^-126 · 0.5 = 2^-127.
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x00800000u, kHalf32),
        in_every_mode_alike<uint32_t>(0x00400000, 0));
}

TEST(FpuMul, HalfTheSmallestSubnormalUnderflowsPerMode)
{
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 1u, kHalf32),
        per_mode<uint32_t>({ 0, 0, 0, 1, 1 }, kUnderflowed));
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x80000001u, kHalf32),
        per_mode<uint32_t>(
            { 0x80000000, 0x80000000, 0x80000001, 0x80000000, 0x80000001 }, kUnderflowed));
    EXPECT_EQ(in_every_mode(mul<uint64_t>, 1ull, 0x3fe0000000000000ull),
        per_mode<uint64_t>({ 0, 0, 0, 1, 1 }, kUnderflowed));
    // Three quarters of it is nearer the subnormal than zero.
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 1u, 0x3f400000u),
        per_mode<uint32_t>({ 1, 0, 0, 1, 1 }, kUnderflowed));
}

TEST(FpuMul, TininessIsDetectedAfterRounding)
{
    // 18631·2^-80 · 1801·2^-71 = 2^-126 - 2^-151: nearest and upward rounding reach 2^-126 even
    // with an unbounded exponent, so only truncation is tiny.
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x1e918e00u, 0x21612000u),
        (std::array<Outcome<uint32_t>, 5> {
            { { 0x00800000, kInexact }, { 0x007fffff, kUnderflowed }, { 0x007fffff, kUnderflowed },
                { 0x00800000, kInexact }, { 0x00800000, kInexact } } }));
    // 786429·2^-500 · 22906579627·2^-576 = 2^-1022 - 2^-1076, the double counterpart.
    EXPECT_EQ(in_every_mode(mul<uint64_t>, 0x21e7fffa00000000ull, 0x1e15555aaaac0000ull),
        (std::array<Outcome<uint64_t>, 5> { { { 0x0010000000000000, kInexact },
            { 0x000fffffffffffff, kUnderflowed }, { 0x000fffffffffffff, kUnderflowed },
            { 0x0010000000000000, kInexact }, { 0x0010000000000000, kInexact } } }));
    // 4095·2^-70 · 4097·2^-80 = 2^-126 - 2^-150 fits 24 bits below 2^-126, so it is tiny in every
    // mode even where it rounds to 2^-126.
    EXPECT_EQ(in_every_mode(mul<uint32_t>, 0x227ff000u, 0x1d800800u),
        per_mode<uint32_t>(
            { 0x00800000, 0x007fffff, 0x007fffff, 0x00800000, 0x00800000 }, kUnderflowed));
    // (2^53 - 1)·2^-1075 likewise fits 53 bits.
    EXPECT_EQ(in_every_mode(mul<uint64_t>, 0x227a530d9f000000ull, 0x1d83731a10000000ull),
        per_mode<uint64_t>({ 0x0010000000000000, 0x000fffffffffffff, 0x000fffffffffffff,
                               0x0010000000000000, 0x0010000000000000 },
            kUnderflowed));
}

TEST(FpuMul, InfinityTimesZeroIsInvalid)
{
    EXPECT_EQ(
        run(mul<uint32_t>, kInfinity32, 0u, kNearestEven), outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(mul<uint64_t>, kNegativeZero64, kInfinity64, kNearestEven),
        outcome(kCanonicalNan64, kInvalid));
    EXPECT_EQ(
        run(mul<uint32_t>, kInfinity32, 0xc0000000u, kNearestEven), outcome(kNegativeInfinity32));
}

TEST(FpuDiv, OneThirdRoundsPerMode)
{
    EXPECT_EQ(in_every_mode(div<uint32_t>, kOne32, 0x40400000u),
        per_mode<uint32_t>(
            { 0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaab }, kInexact));
    EXPECT_EQ(in_every_mode(div<uint32_t>, kNegativeOne32, 0x40400000u),
        per_mode<uint32_t>(
            { 0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab }, kInexact));
    EXPECT_EQ(in_every_mode(div<uint64_t>, kOne64, 0x4008000000000000ull),
        per_mode<uint64_t>({ 0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555555,
                               0x3fd5555555555556, 0x3fd5555555555555 },
            kInexact));
}

TEST(FpuDiv, DivisionByZero)
{
    EXPECT_EQ(run(div<uint32_t>, kOne32, 0u, kNearestEven), outcome(kInfinity32, kDivideByZero));
    EXPECT_EQ(run(div<uint32_t>, kOne32, kNegativeZero32, kNearestEven),
        outcome(kNegativeInfinity32, kDivideByZero));
    EXPECT_EQ(run(div<uint64_t>, 0xbff0000000000000ull, 0ull, kTowardZero),
        outcome<uint64_t>(0xfff0000000000000, kDivideByZero));
    // An infinite dividend is exact, not a division by zero.
    EXPECT_EQ(run(div<uint32_t>, kInfinity32, 0u, kNearestEven), outcome(kInfinity32));
}

TEST(FpuDiv, IndeterminateQuotientsAreInvalid)
{
    EXPECT_EQ(run(div<uint32_t>, 0u, 0u, kNearestEven), outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(div<uint64_t>, kInfinity64, kInfinity64, kNearestEven),
        outcome(kCanonicalNan64, kInvalid));
}

TEST(FpuDiv, SubnormalQuotientCanBeATie)
{
    // 2^-1074 / 2 and 5·2^-1074 / 2 lie halfway between subnormals.
    EXPECT_EQ(in_every_mode(div<uint64_t>, 1ull, kTwo64),
        per_mode<uint64_t>({ 0, 0, 0, 1, 1 }, kUnderflowed));
    EXPECT_EQ(in_every_mode(div<uint64_t>, 5ull, kTwo64),
        per_mode<uint64_t>({ 2, 2, 2, 3, 3 }, kUnderflowed));
    EXPECT_EQ(in_every_mode(div<uint32_t>, 0x80000005u, kTwo32),
        per_mode<uint32_t>(
            { 0x80000002, 0x80000002, 0x80000003, 0x80000002, 0x80000003 }, kUnderflowed));
}

TEST(FpuSqrt, SquareRootOfTwoRoundsPerMode)
{
    EXPECT_EQ(in_every_mode(sqrt<uint32_t>, kTwo32),
        per_mode<uint32_t>(
            { 0x3fb504f3, 0x3fb504f3, 0x3fb504f3, 0x3fb504f4, 0x3fb504f3 }, kInexact));
    EXPECT_EQ(in_every_mode(sqrt<uint64_t>, kTwo64),
        per_mode<uint64_t>({ 0x3ff6a09e667f3bcd, 0x3ff6a09e667f3bcc, 0x3ff6a09e667f3bcc,
                               0x3ff6a09e667f3bcd, 0x3ff6a09e667f3bcd },
            kInexact));
    EXPECT_EQ(in_every_mode(sqrt<uint32_t>, 0x40800000u), in_every_mode_alike(kTwo32, 0));
}

TEST(FpuSqrt, NegativeOperandsAreInvalidExceptNegativeZero)
{
    EXPECT_EQ(
        run(sqrt<uint32_t>, kNegativeOne32, kNearestEven), outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(sqrt<uint64_t>, 0xfff0000000000000ull, kNearestEven),
        outcome(kCanonicalNan64, kInvalid));
    EXPECT_EQ(run(sqrt<uint32_t>, kNegativeZero32, kNearestEven), outcome(kNegativeZero32));
    EXPECT_EQ(run(sqrt<uint64_t>, kInfinity64, kNearestEven), outcome(kInfinity64));
    EXPECT_EQ(
        run(sqrt<uint32_t>, kSignalingNan32, kNearestEven), outcome(kCanonicalNan32, kInvalid));
}

TEST(FpuFusedMultiplyAdd, RoundsOnlyOnce)
{
    // (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46, which a rounded product would lose.
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, 0x3f800001u, 0x3f7ffffeu, kNegativeOne32, false,
                  false, kNearestEven),
        outcome<uint32_t>(0xa8800000));
    // (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104.
    EXPECT_EQ(run(fused_multiply_add<uint64_t>, 0x3ff0000000000001ull, 0x3feffffffffffffeull,
                  kOne64, false, true, kNearestEven),
        outcome<uint64_t>(0xb970000000000000));
    // 2·max - max never exists as an intermediate.
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, kMax32, kTwo32, kMax32, false, true, kNearestEven),
        outcome(kMax32));
}

TEST(FpuFusedMultiplyAdd, NegationsGiveTheFourInstructions)
{
    // 2·3 and 1 in fmadd, fmsub, fnmsub and fnmadd.
    uint32_t const two = kTwo32, three = 0x40400000, one = kOne32;
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, two, three, one, false, false, kNearestEven),
        outcome<uint32_t>(0x40e00000));
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, two, three, one, false, true, kNearestEven),
        outcome<uint32_t>(0x40a00000));
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, two, three, one, true, false, kNearestEven),
        outcome<uint32_t>(0xc0a00000));
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, two, three, one, true, true, kNearestEven),
        outcome<uint32_t>(0xc0e00000));
}

TEST(FpuFusedMultiplyAdd, TieRoundsAwayInRmm)
{
    // (1 + 2^-12)^2 + 2^-22 = 1 + 2^-11 + 2^-22 + 2^-24.
    EXPECT_EQ(in_every_mode(fused_multiply_add<uint32_t>, 0x3f800800u, 0x3f800800u, 0x34800000u,
                  false, false),
        per_mode<uint32_t>(
            { 0x3f801002, 0x3f801002, 0x3f801002, 0x3f801003, 0x3f801003 }, kInexact));
    // (1 + 2^-27)^2 + 2^-54 = 1 + 2^-26 + 2^-53.
    EXPECT_EQ(in_every_mode(fused_multiply_add<uint64_t>, 0x3ff0000002000000ull,
                  0x3ff0000002000000ull, 0x3c90000000000000ull, false, false),
        per_mode<uint64_t>({ 0x3ff0000004000000, 0x3ff0000004000000, 0x3ff0000004000000,
                               0x3ff0000004000001, 0x3ff0000004000001 },
            kInexact));
}

TEST(FpuFusedMultiplyAdd, ExactZeroSumIsNegativeOnlyRoundingDown)
{
    EXPECT_EQ(in_every_mode(fused_multiply_add<uint32_t>, kOne32, kOne32, kOne32, false, true),
        per_mode<uint32_t>({ 0, 0, kNegativeZero32, 0, 0 }, 0));
}

TEST(FpuFusedMultiplyAdd, InfinityTimesZeroIsInvalidEvenWithAQuietNanAddend)
{
    EXPECT_EQ(
        run(fused_multiply_add<uint32_t>, kInfinity32, 0u, kQuietNan32, false, false, kNearestEven),
        outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(
        run(fused_multiply_add<uint64_t>, 0ull, kInfinity64, kOne64, true, false, kNearestEven),
        outcome(kCanonicalNan64, kInvalid));
    EXPECT_EQ(
        run(fused_multiply_add<uint32_t>, kOne32, kOne32, kQuietNan32, false, false, kNearestEven),
        outcome(kCanonicalNan32));
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, kOne32, kOne32, kSignalingNan32, false, false,
                  kNearestEven),
        outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(fused_multiply_add<uint32_t>, kInfinity32, kOne32, kInfinity32, false, true,
                  kNearestEven),
        outcome(kCanonicalNan32, kInvalid));
}

TEST(FpuMinMax, NegativeZeroIsBelowPositiveZero)
{
    EXPECT_EQ(run(min<uint32_t>, 0u, kNegativeZero32), outcome(kNegativeZero32));
    EXPECT_EQ(run(min<uint32_t>, kNegativeZero32, 0u), outcome(kNegativeZero32));
    EXPECT_EQ(run(max<uint32_t>, kNegativeZero32, 0u), outcome(0u));
    EXPECT_EQ(run(max<uint64_t>, 0ull, kNegativeZero64), outcome<uint64_t>(0));
    EXPECT_EQ(run(min<uint64_t>, 0ull, kNegativeZero64), outcome(kNegativeZero64));
}

TEST(FpuMinMax, OneNanOperandYieldsTheOther)
{
    EXPECT_EQ(run(min<uint32_t>, kQuietNan32, kOne32), outcome(kOne32));
    EXPECT_EQ(run(max<uint32_t>, kNegativeOne32, kQuietNan32), outcome(kNegativeOne32));
    EXPECT_EQ(run(min<uint64_t>, kSignalingNan64, kOne64), outcome(kOne64, kInvalid));
    EXPECT_EQ(run(max<uint32_t>, kOne32, kSignalingNan32), outcome(kOne32, kInvalid));
}

TEST(FpuMinMax, TwoNanOperandsYieldTheCanonicalNan)
{
    EXPECT_EQ(run(min<uint32_t>, kQuietNan32, 0xffc00000u), outcome(kCanonicalNan32));
    EXPECT_EQ(run(max<uint64_t>, kSignalingNan64, kQuietNan64), outcome(kCanonicalNan64, kInvalid));
}

TEST(FpuMinMax, OrdersOrdinaryValues)
{
    EXPECT_EQ(run(min<uint32_t>, kNegativeInfinity32, 0x40400000u), outcome(kNegativeInfinity32));
    EXPECT_EQ(run(max<uint32_t>, kNegativeOne32, 0xc0000000u), outcome(kNegativeOne32));
    EXPECT_EQ(run(min<uint32_t>, kTwo32, kOne32), outcome(kOne32));
    EXPECT_EQ(run(max<uint64_t>, 1ull, 0ull), outcome<uint64_t>(1));
    EXPECT_EQ(run(min<uint64_t>, 0x8000000000000001ull, kNegativeZero64),
        outcome<uint64_t>(0x8000000000000001));
}

TEST(FpuCompare, EqualIsQuietForQuietNans)
{
    EXPECT_EQ(run(equal<uint32_t>, kQuietNan32, kQuietNan32), outcome(false));
    EXPECT_EQ(run(equal<uint32_t>, kSignalingNan32, kOne32), outcome(false, kInvalid));
    EXPECT_EQ(run(equal<uint64_t>, kNegativeZero64, 0ull), outcome(true));
    EXPECT_EQ(run(equal<uint32_t>, kOne32, kTwo32), outcome(false));
}

TEST(FpuCompare, OrderingSignalsOnAnyNan)
{
    EXPECT_EQ(run(less<uint32_t>, kQuietNan32, kOne32), outcome(false, kInvalid));
    EXPECT_EQ(run(less_or_equal<uint64_t>, kOne64, kQuietNan64), outcome(false, kInvalid));
    EXPECT_EQ(run(less_or_equal<uint32_t>, kQuietNan32, kQuietNan32), outcome(false, kInvalid));
}

TEST(FpuCompare, OrdersValues)
{
    EXPECT_EQ(run(less<uint32_t>, kNegativeZero32, 0u), outcome(false));
    EXPECT_EQ(run(less_or_equal<uint32_t>, 0u, kNegativeZero32), outcome(true));
    EXPECT_EQ(run(less<uint32_t>, kOne32, kTwo32), outcome(true));
    EXPECT_EQ(run(less<uint32_t>, kTwo32, kOne32), outcome(false));
    EXPECT_EQ(run(less<uint64_t>, 0xfff0000000000000ull, 0xffefffffffffffffull), outcome(true));
    EXPECT_EQ(run(less_or_equal<uint64_t>, kInfinity64, kInfinity64), outcome(true));
    EXPECT_EQ(run(less_or_equal<uint64_t>, kTwo64, kOne64), outcome(false));
}

TEST(FpuClassify, SingleClasses)
{
    EXPECT_EQ(classify<uint32_t>(kNegativeInfinity32), 1u << 0);
    EXPECT_EQ(classify<uint32_t>(kNegativeOne32), 1u << 1);
    EXPECT_EQ(classify<uint32_t>(0x807fffff), 1u << 2);
    EXPECT_EQ(classify<uint32_t>(kNegativeZero32), 1u << 3);
    EXPECT_EQ(classify<uint32_t>(0), 1u << 4);
    EXPECT_EQ(classify<uint32_t>(1), 1u << 5);
    EXPECT_EQ(classify<uint32_t>(0x00800000), 1u << 6);
    EXPECT_EQ(classify<uint32_t>(kInfinity32), 1u << 7);
    EXPECT_EQ(classify<uint32_t>(0xffbfffff), 1u << 8);
    EXPECT_EQ(classify<uint32_t>(kCanonicalNan32), 1u << 9);
}

TEST(FpuClassify, DoubleClasses)
{
    EXPECT_EQ(classify<uint64_t>(0xfff0000000000000), 1u << 0);
    EXPECT_EQ(classify<uint64_t>(0xffefffffffffffff), 1u << 1);
    EXPECT_EQ(classify<uint64_t>(0x8000000000000001), 1u << 2);
    EXPECT_EQ(classify<uint64_t>(kNegativeZero64), 1u << 3);
    EXPECT_EQ(classify<uint64_t>(0), 1u << 4);
    EXPECT_EQ(classify<uint64_t>(0x000fffffffffffff), 1u << 5);
    EXPECT_EQ(classify<uint64_t>(kOne64), 1u << 6);
    EXPECT_EQ(classify<uint64_t>(kInfinity64), 1u << 7);
    EXPECT_EQ(classify<uint64_t>(kSignalingNan64), 1u << 8);
    EXPECT_EQ(classify<uint64_t>(kQuietNan64), 1u << 9);
}

TEST(FpuToInteger, HalvesRoundPerMode)
{
    EXPECT_EQ(in_every_mode(to_int32<uint32_t>, 0x40200000u),
        per_mode<int32_t>({ 2, 2, 2, 3, 3 }, kInexact));
    EXPECT_EQ(in_every_mode(to_int32<uint32_t>, 0xc0200000u),
        per_mode<int32_t>({ -2, -2, -3, -2, -3 }, kInexact));
    EXPECT_EQ(in_every_mode(to_int64<uint64_t>, 0x400c000000000000ull),
        per_mode<int64_t>({ 4, 3, 3, 4, 4 }, kInexact));
    EXPECT_EQ(in_every_mode(to_int64<uint32_t>, 0xbfc00000u),
        per_mode<int64_t>({ -2, -1, -2, -1, -2 }, kInexact));
    EXPECT_EQ(in_every_mode(to_int32<uint64_t>, 0x3fe0000000000000ull),
        per_mode<int32_t>({ 0, 0, 0, 1, 1 }, kInexact));
}

TEST(FpuToInteger, Int32Saturates)
{
    constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
    constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
    EXPECT_EQ(run(to_int32<uint32_t>, 0x4f000000u, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(run(to_int32<uint32_t>, 0xcf000000u, kNearestEven), outcome(kMin));
    EXPECT_EQ(run(to_int32<uint32_t>, 0xcf000001u, kNearestEven), outcome(kMin, kInvalid));
    EXPECT_EQ(run(to_int32<uint32_t>, kInfinity32, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(
        run(to_int32<uint64_t>, 0xfff0000000000000ull, kNearestEven), outcome(kMin, kInvalid));
    EXPECT_EQ(run(to_int32<uint32_t>, 0xffc00000u, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(run(to_int32<uint64_t>, kSignalingNan64, kNearestEven), outcome(kMax, kInvalid));
}

TEST(FpuToInteger, RoundingOutOfRangeIsInvalidNotInexact)
{
    constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
    constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
    // 2147483647.5 and -2147483648.5.
    EXPECT_EQ(in_every_mode(to_int32<uint64_t>, 0x41dfffffffe00000ull),
        (std::array<Outcome<int32_t>, 5> { { { kMax, kInvalid }, { kMax, kInexact },
            { kMax, kInexact }, { kMax, kInvalid }, { kMax, kInvalid } } }));
    EXPECT_EQ(in_every_mode(to_int32<uint64_t>, 0xc1e0000000100000ull),
        (std::array<Outcome<int32_t>, 5> { { { kMin, kInexact }, { kMin, kInexact },
            { kMin, kInvalid }, { kMin, kInexact }, { kMin, kInvalid } } }));
}

TEST(FpuToInteger, Uint32RejectsNegativeResultsOnly)
{
    // -0.5 becomes -0 (fine, inexact) or -1 (invalid) depending on the mode.
    EXPECT_EQ(in_every_mode(to_uint32<uint32_t>, 0xbf000000u),
        (std::array<Outcome<uint32_t>, 5> { { { 0, kInexact }, { 0, kInexact }, { 0, kInvalid },
            { 0, kInexact }, { 0, kInvalid } } }));
    EXPECT_EQ(
        in_every_mode(to_uint32<uint32_t>, kNegativeOne32), in_every_mode_alike(0u, kInvalid));
    EXPECT_EQ(run(to_uint32<uint32_t>, kNegativeZero32, kNearestEven), outcome(0u));
    EXPECT_EQ(run(to_uint32<uint32_t>, kNegativeInfinity32, kNearestEven), outcome(0u, kInvalid));
}

TEST(FpuToInteger, Uint32Saturates)
{
    // 4294967295.5.
    EXPECT_EQ(in_every_mode(to_uint32<uint64_t>, 0x41effffffff00000ull),
        (std::array<Outcome<uint32_t>, 5> { { { 0xffffffff, kInvalid }, { 0xffffffff, kInexact },
            { 0xffffffff, kInexact }, { 0xffffffff, kInvalid }, { 0xffffffff, kInvalid } } }));
    EXPECT_EQ(run(to_uint32<uint32_t>, 0x4f800000u, kNearestEven), outcome(0xffffffffu, kInvalid));
    EXPECT_EQ(run(to_uint32<uint32_t>, kInfinity32, kNearestEven), outcome(0xffffffffu, kInvalid));
    EXPECT_EQ(run(to_uint32<uint64_t>, kQuietNan64, kNearestEven), outcome(0xffffffffu, kInvalid));
    EXPECT_EQ(run(to_uint32<uint32_t>, 0x4f7fffffu, kNearestEven), outcome(0xffffff00u));
}

TEST(FpuToInteger, Int64Saturates)
{
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    EXPECT_EQ(
        run(to_int64<uint64_t>, 0x43e0000000000000ull, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(run(to_int64<uint64_t>, 0xc3e0000000000000ull, kNearestEven), outcome(kMin));
    EXPECT_EQ(run(to_int64<uint64_t>, 0x43dfffffffffffffull, kNearestEven),
        outcome<int64_t>(0x7ffffffffffffc00));
    EXPECT_EQ(run(to_int64<uint32_t>, 0x5f000000u, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(run(to_int64<uint32_t>, 0xdf000001u, kNearestEven), outcome(kMin, kInvalid));
    EXPECT_EQ(run(to_int64<uint64_t>, kQuietNan64, kNearestEven), outcome(kMax, kInvalid));
}

TEST(FpuToInteger, Uint64Saturates)
{
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    EXPECT_EQ(
        run(to_uint64<uint64_t>, 0x43f0000000000000ull, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(run(to_uint64<uint64_t>, 0x43efffffffffffffull, kNearestEven),
        outcome<uint64_t>(0xfffffffffffff800));
    EXPECT_EQ(run(to_uint64<uint64_t>, 0xbfeccccccccccccdull, kTowardZero),
        outcome<uint64_t>(0, kInexact));
    EXPECT_EQ(run(to_uint64<uint64_t>, 0xbff0000000000000ull, kTowardZero),
        outcome<uint64_t>(0, kInvalid));
    EXPECT_EQ(run(to_uint64<uint32_t>, kSignalingNan32, kNearestEven), outcome(kMax, kInvalid));
    EXPECT_EQ(run(to_uint64<uint32_t>, 0x3fc00000u, kNearestEven), outcome<uint64_t>(2, kInexact));
}

TEST(FpuFromInteger, Int32ToSingleTiesRoundPerMode)
{
    // 2^24 + 1, -(2^24 + 1) and 2^24 + 3.
    EXPECT_EQ(in_every_mode(from_int32<uint32_t>, 16777217),
        per_mode<uint32_t>(
            { 0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001, 0x4b800001 }, kInexact));
    EXPECT_EQ(in_every_mode(from_int32<uint32_t>, -16777217),
        per_mode<uint32_t>(
            { 0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000, 0xcb800001 }, kInexact));
    EXPECT_EQ(in_every_mode(from_int32<uint32_t>, 16777219),
        per_mode<uint32_t>(
            { 0x4b800002, 0x4b800001, 0x4b800001, 0x4b800002, 0x4b800002 }, kInexact));
}

TEST(FpuFromInteger, Int64ToDoubleTiesRoundPerMode)
{
    // 2^53 + 1 and -(2^53 + 1).
    EXPECT_EQ(in_every_mode(from_int64<uint64_t>, int64_t(9007199254740993)),
        per_mode<uint64_t>({ 0x4340000000000000, 0x4340000000000000, 0x4340000000000000,
                               0x4340000000000001, 0x4340000000000001 },
            kInexact));
    EXPECT_EQ(in_every_mode(from_int64<uint64_t>, int64_t(-9007199254740993)),
        per_mode<uint64_t>({ 0xc340000000000000, 0xc340000000000000, 0xc340000000000001,
                               0xc340000000000000, 0xc340000000000001 },
            kInexact));
    // -(2^40 + 2^16) to single.
    EXPECT_EQ(in_every_mode(from_int64<uint32_t>, int64_t(-1099511693312)),
        per_mode<uint32_t>(
            { 0xd3800000, 0xd3800000, 0xd3800001, 0xd3800000, 0xd3800001 }, kInexact));
}

TEST(FpuFromInteger, Int64Extremes)
{
    EXPECT_EQ(in_every_mode(from_int64<uint64_t>, std::numeric_limits<int64_t>::min()),
        in_every_mode_alike<uint64_t>(0xc3e0000000000000, 0));
    EXPECT_EQ(in_every_mode(from_int64<uint64_t>, std::numeric_limits<int64_t>::max()),
        per_mode<uint64_t>({ 0x43e0000000000000, 0x43dfffffffffffff, 0x43dfffffffffffff,
                               0x43e0000000000000, 0x43e0000000000000 },
            kInexact));
}

TEST(FpuFromInteger, Uint64Extremes)
{
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    EXPECT_EQ(in_every_mode(from_uint64<uint64_t>, kMax),
        per_mode<uint64_t>({ 0x43f0000000000000, 0x43efffffffffffff, 0x43efffffffffffff,
                               0x43f0000000000000, 0x43f0000000000000 },
            kInexact));
    // 2^64 - 3072 lies halfway between 2^64 - 4096 (even) and 2^64 - 2048.
    EXPECT_EQ(in_every_mode(from_uint64<uint64_t>, 0xfffffffffffff400ull),
        per_mode<uint64_t>({ 0x43effffffffffffe, 0x43effffffffffffe, 0x43effffffffffffe,
                               0x43efffffffffffff, 0x43efffffffffffff },
            kInexact));
    EXPECT_EQ(in_every_mode(from_uint64<uint32_t>, kMax),
        per_mode<uint32_t>(
            { 0x5f800000, 0x5f7fffff, 0x5f7fffff, 0x5f800000, 0x5f800000 }, kInexact));
}

TEST(FpuFromInteger, ThirtyTwoBitValues)
{
    EXPECT_EQ(in_every_mode(from_uint32<uint32_t>, 0xffffffffu),
        per_mode<uint32_t>(
            { 0x4f800000, 0x4f7fffff, 0x4f7fffff, 0x4f800000, 0x4f800000 }, kInexact));
    EXPECT_EQ(in_every_mode(from_uint32<uint64_t>, 0xffffffffu),
        in_every_mode_alike<uint64_t>(0x41efffffffe00000, 0));
    EXPECT_EQ(in_every_mode(from_int32<uint64_t>, -5),
        in_every_mode_alike<uint64_t>(0xc014000000000000, 0));
    EXPECT_EQ(run(from_int32<uint32_t>, 0, kNearestMaxMagnitude), outcome(0u));
}

TEST(FpuDoubleToSingle, RoundsPerMode)
{
    // 1 + 2^-24.
    EXPECT_EQ(in_every_mode(double_to_single, 0x3ff0000010000000ull),
        per_mode<uint32_t>(
            { 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001 }, kInexact));
    // The double nearest 1/3.
    EXPECT_EQ(in_every_mode(double_to_single, 0x3fd5555555555555ull),
        per_mode<uint32_t>(
            { 0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaab }, kInexact));
    EXPECT_EQ(in_every_mode(double_to_single, 0xbff8000000000000ull),
        in_every_mode_alike(0xbfc00000u, 0));
}

TEST(FpuDoubleToSingle, Overflows)
{
    // 2^200, -2^200, and the largest single plus half its ulp.
    EXPECT_EQ(in_every_mode(double_to_single, 0x4c70000000000000ull),
        per_mode<uint32_t>({ kInfinity32, kMax32, kMax32, kInfinity32, kInfinity32 }, kOverflowed));
    EXPECT_EQ(in_every_mode(double_to_single, 0xcc70000000000000ull),
        per_mode<uint32_t>(
            { 0xff800000, 0xff7fffff, 0xff800000, 0xff7fffff, 0xff800000 }, kOverflowed));
    EXPECT_EQ(in_every_mode(double_to_single, 0x47effffff0000000ull),
        (std::array<Outcome<uint32_t>, 5> { { { kInfinity32, kOverflowed }, { kMax32, kInexact },
            { kMax32, kInexact }, { kInfinity32, kOverflowed }, { kInfinity32, kOverflowed } } }));
}

TEST(FpuDoubleToSingle, Underflows)
{
    // 2^-150, 2.5·2^-149 and 2^-126 - 2^-151.
    EXPECT_EQ(in_every_mode(double_to_single, 0x3690000000000000ull),
        per_mode<uint32_t>({ 0, 0, 0, 1, 1 }, kUnderflowed));
    EXPECT_EQ(in_every_mode(double_to_single, 0x36b4000000000000ull),
        per_mode<uint32_t>({ 2, 2, 2, 3, 3 }, kUnderflowed));
    EXPECT_EQ(in_every_mode(double_to_single, 0x380ffffff0000000ull),
        (std::array<Outcome<uint32_t>, 5> {
            { { 0x00800000, kInexact }, { 0x007fffff, kUnderflowed }, { 0x007fffff, kUnderflowed },
                { 0x00800000, kInexact }, { 0x00800000, kInexact } } }));
    // 2^-140 is an exact subnormal.
    EXPECT_EQ(in_every_mode(double_to_single, 0x3730000000000000ull),
        in_every_mode_alike(0x00000200u, 0));
}

TEST(FpuDoubleToSingle, NansAndInfinities)
{
    EXPECT_EQ(
        run(double_to_single, kSignalingNan64, kNearestEven), outcome(kCanonicalNan32, kInvalid));
    EXPECT_EQ(run(double_to_single, kQuietNan64, kNearestEven), outcome(kCanonicalNan32));
    EXPECT_EQ(
        run(double_to_single, 0xfff0000000000000ull, kTowardZero), outcome(kNegativeInfinity32));
}

TEST(FpuSingleToDouble, IsExact)
{
    EXPECT_EQ(run(single_to_double, 0x3fc00000u), outcome<uint64_t>(0x3ff8000000000000));
    EXPECT_EQ(run(single_to_double, 0x00000001u), outcome<uint64_t>(0x36a0000000000000));
    EXPECT_EQ(run(single_to_double, kNegativeZero32), outcome(kNegativeZero64));
    EXPECT_EQ(run(single_to_double, kNegativeInfinity32), outcome<uint64_t>(0xfff0000000000000));
    EXPECT_EQ(run(single_to_double, kMax32), outcome<uint64_t>(0x47efffffe0000000));
}

TEST(FpuSingleToDouble, NansBecomeTheCanonicalNan)
{
    EXPECT_EQ(run(single_to_double, kSignalingNan32), outcome(kCanonicalNan64, kInvalid));
    EXPECT_EQ(run(single_to_double, 0xffc00001u), outcome(kCanonicalNan64));
}

TEST(FpuHost, FlagsAccumulate)
{
    uint8_t flags = kDivideByZero;
    EXPECT_EQ(add<uint32_t>(kOne32, 0x33800000, kNearestEven, flags), kOne32);
    EXPECT_EQ(flags, kDivideByZero | kInexact);
}

TEST(FpuHost, LeavesTheHostMxcsrAsItWas)
{
    unsigned const original = _mm_getcsr();
    // Round toward zero with the inexact flag already raised, to tell it from any default.
    unsigned const custom = (original & ~0x603fu) | 0x6000u | 0x20u;
    _mm_setcsr(custom);
    uint8_t flags = 0;
    uint32_t const third = div<uint32_t>(kOne32, 0x40400000, RoundingMode::Up, flags);
    uint64_t const huge = mul<uint64_t>(kMax64, kTwo64, kNearestMaxMagnitude, flags);
    unsigned const after = _mm_getcsr();
    _mm_setcsr(original);
    EXPECT_EQ(after, custom);
    EXPECT_EQ(third, 0x3eaaaaabu);
    EXPECT_EQ(huge, kInfinity64);
    EXPECT_EQ(flags, kOverflowed);
}

} // namespace
} // namespace rvisor::cpu::fpu
