#include "jit/code_buffer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/mman.h>

namespace rvisor::jit {

CodeBuffer::CodeBuffer(size_t size)
    : m_size(size)
{
    void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) {
        throw std::runtime_error(
            std::string("cannot map memory for translated code: ") + std::strerror(errno));
    }
    m_data = static_cast<uint8_t*>(memory);
    // Huge pages where the host allows them: a boot writes megabytes of code, which otherwise
    // costs a page fault every 4 KiB. Advice only, so a host without them loses nothing.
    madvise(m_data, m_size, MADV_HUGEPAGE);
}

CodeBuffer::~CodeBuffer() { munmap(m_data, m_size); }

void CodeBuffer::discard(size_t bytes)
{
    // Only memory goes back, so a failure (which leaves it resident) needs no handling.
    madvise(m_data, std::min(bytes, m_size), MADV_DONTNEED);
    // Code written after the guest went idle once is little; small pages keep it small.
    madvise(m_data, m_size, MADV_NOHUGEPAGE);
}

} // namespace rvisor::jit
