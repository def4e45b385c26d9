#pragma once
// Bit fields of mstatus, menvcfg and page-table entries, as the privileged spec lays them out.
#include <cstdint>

namespace rvisor::cpu {

namespace status {
constexpr uint64_t kSie = 1ull << 1;
constexpr uint64_t kMie = 1ull << 3;
constexpr uint64_t kSpie = 1ull << 5;
constexpr uint64_t kMpie = 1ull << 7;
constexpr uint64_t kSpp = 1ull << 8;
constexpr unsigned kMppShift = 11;
constexpr uint64_t kMpp = 3ull << kMppShift;
constexpr unsigned kFsShift = 13;
constexpr uint64_t kFs = 3ull << kFsShift;
constexpr uint64_t kMprv = 1ull << 17;
constexpr uint64_t kSum = 1ull << 18;
constexpr uint64_t kMxr = 1ull << 19;
constexpr uint64_t kTvm = 1ull << 20;
constexpr uint64_t kTw = 1ull << 21;
constexpr uint64_t kTsr = 1ull << 22;
constexpr uint64_t kUxl64 = 2ull << 32;
constexpr uint64_t kSxl64 = 2ull << 34;
constexpr uint64_t kSd = 1ull << 63;

constexpr uint64_t kMachineWritable
    = kSie | kMie | kSpie | kMpie | kSpp | kMpp | kFs | kMprv | kSum | kMxr | kTvm | kTw | kTsr;
constexpr uint64_t kSupervisorWritable = kSie | kSpie | kSpp | kFs | kSum | kMxr;
// What sstatus shows of mstatus.
constexpr uint64_t kSupervisorVisible = kSupervisorWritable | kUxl64 | kSd;
// Changing these changes how data addresses translate: cached translations must go. (SUM and
// MXR change what a translation allows; the TLB tags its entries with them instead.)
constexpr uint64_t kTranslationBits = kMprv | kMpp;
} // namespace status

namespace envcfg {
constexpr uint64_t kFiom = 1ull << 0;
constexpr uint64_t kStce = 1ull << 63;
} // namespace envcfg

namespace pte {
constexpr uint64_t kValid = 1 << 0;
constexpr uint64_t kRead = 1 << 1;
constexpr uint64_t kWrite = 1 << 2;
constexpr uint64_t kExecute = 1 << 3;
constexpr uint64_t kUser = 1 << 4;
constexpr uint64_t kAccessed = 1 << 6;
constexpr uint64_t kDirty = 1 << 7;
} // namespace pte

} // namespace rvisor::cpu
