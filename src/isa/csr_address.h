#pragma once
#include <cstdint>

namespace rvisor::isa {

// CSR addresses by their spec names (csr::mstatus), from csr_names.def; the numbered banks
// (pmpcfg, pmpaddr, hpmcounter, mhpmcounter, mhpmevent) are ranges.
namespace csr {
#define RV_CSR(name, address) constexpr uint32_t name = address;
#include "isa/csr_names.def"
#undef RV_CSR
constexpr uint32_t hpmcounter3 = 0xc03, hpmcounter31 = 0xc1f;
constexpr uint32_t mhpmcounter3 = 0xb03, mhpmcounter31 = 0xb1f;
constexpr uint32_t mhpmevent3 = 0x323, mhpmevent31 = 0x33f;
constexpr uint32_t pmpcfg0 = 0x3a0, pmpcfg15 = 0x3af;
constexpr uint32_t pmpaddr0 = 0x3b0, pmpaddr63 = 0x3ef;
} // namespace csr

} // namespace rvisor::isa
