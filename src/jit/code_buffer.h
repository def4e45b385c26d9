#pragma once
// The memory translated code lives in: one mapping, readable, writable (blocks are patched
// when they are chained) and executable, with a fixed size so a guest cannot make it grow.
#include <cstddef>
#include <cstdint>

namespace rvisor::jit {

class CodeBuffer {
public:
    explicit CodeBuffer(size_t size);
    ~CodeBuffer();
    CodeBuffer(const CodeBuffer&) = delete;
    CodeBuffer& operator=(const CodeBuffer&) = delete;

    uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }
    // Gives the first `bytes` back to the host; they read as zero when next touched.
    void discard(size_t bytes);

private:
    uint8_t* m_data;
    size_t m_size;
};

} // namespace rvisor::jit
