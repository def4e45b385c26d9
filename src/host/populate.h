#pragma once
// Prefaulting memory that is about to be written whole. Each first touch of a host page is a
// page fault, and on a host that is itself a virtual machine a fault costs microseconds: a boot
// copies megabytes of kernel and initramfs and spent a tenth of its time in those faults. One
// madvise(MADV_POPULATE_WRITE) makes the pages present in a single call.
#include <cstddef>

namespace rvisor::host {

// Makes the host pages holding [address, address + length) present and writable. Only advice:
// a kernel without MADV_POPULATE_WRITE (before Linux 5.14) or short of memory leaves the pages
// to fault in as they are touched, as before.
void populate_for_writing(void* address, size_t length);

} // namespace rvisor::host
