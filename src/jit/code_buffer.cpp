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
}

CodeBuffer::~CodeBuffer() { munmap(m_data, m_size); }

void CodeBuffer::discard(size_t bytes)
{
    // Only memory goes back, so a failure (which leaves it resident) needs no handling.
    madvise(m_data, std::min(bytes, m_size), MADV_DONTNEED);
}

} // namespace rvisor::jit
