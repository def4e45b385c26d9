#include "host/populate.h"

#include <cstdint>
#include <sys/mman.h>
#include <unistd.h>

namespace rvisor::host {

void populate_for_writing(void* address, size_t length)
{
    if (length == 0)
        return;
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<uintptr_t>(address) & ~(page - 1);
    const auto end = (reinterpret_cast<uintptr_t>(address) + length + page - 1) & ~(page - 1);
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
}

} // namespace rvisor::host
