#include "fn/archive_library.h"

#include <fmt/format.h>

#include <dlfcn.h>
#include <stdexcept>

namespace rvisor::fn {

namespace {

// The soname of Debian 12's libarchive13, whose ABI the headers describe.
constexpr const char* kLibrary = "libarchive.so.13";

} // namespace

ArchiveLibrary::ArchiveLibrary()
    : m_handle(::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL))
{
    if (!m_handle)
        throw std::runtime_error(fmt::format("unpacking an image layer needs {} (Debian's "
                                             "libarchive13), which cannot be loaded: {}",
            kLibrary, ::dlerror()));
#define RVISOR_ARCHIVE_BIND(name)                                                                  \
    name = reinterpret_cast<decltype(name)>(::dlsym(m_handle, "archive_" #name));                  \
    if (!name) {                                                                                   \
        ::dlclose(m_handle);                                                                       \
        throw std::runtime_error(fmt::format("{} has no function archive_{}", kLibrary, #name));   \
    }
    RVISOR_ARCHIVE_FUNCTIONS(RVISOR_ARCHIVE_BIND)
#undef RVISOR_ARCHIVE_BIND
}

ArchiveLibrary::~ArchiveLibrary() { ::dlclose(m_handle); }

} // namespace rvisor::fn
