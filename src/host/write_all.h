#pragma once
// write(2) until every byte is written, across short writes and EINTR.
#include <cstddef>

namespace rvisor::host {

// False when the descriptor fails (e.g. its reader went away); what was written stays written.
bool write_all(int fd, const void* data, size_t length);

} // namespace rvisor::host
