#pragma once
// libarchive, loaded with dlopen when a layer is unpacked rather than linked into rvisor: it
// brings libxml2, ICU and more, which would cost every VM process about 3 MiB of memory and
// 2 ms of start-up, while only the control program unpacking an image layout uses it (systemd
// loads it the same way). Each function is the library's own, with its own signature.
#include <archive.h>
#include <archive_entry.h>

namespace rvisor::fn {

// The functions layer_unpack.cpp calls, each archive_NAME as the member NAME.
#define RVISOR_ARCHIVE_FUNCTIONS(X)                                                                \
    X(read_new)                                                                                    \
    X(read_free)                                                                                   \
    X(read_support_format_tar)                                                                     \
    X(read_support_filter_gzip)                                                                    \
    X(read_support_filter_zstd)                                                                    \
    X(read_open_fd)                                                                                \
    X(read_next_header)                                                                            \
    X(read_data_block)                                                                             \
    X(error_string)                                                                                \
    X(entry_pathname)                                                                              \
    X(entry_filetype)                                                                              \
    X(entry_hardlink)                                                                              \
    X(entry_symlink)                                                                               \
    X(entry_perm)                                                                                  \
    X(entry_rdev)                                                                                  \
    X(entry_uid)                                                                                   \
    X(entry_gid)                                                                                   \
    X(entry_mtime)                                                                                 \
    X(entry_mtime_nsec)                                                                            \
    X(entry_size)

class ArchiveLibrary {
public:
    // Throws std::runtime_error naming the library and the loader's reason when it is missing.
    ArchiveLibrary();
    ~ArchiveLibrary();
    ArchiveLibrary(const ArchiveLibrary&) = delete;
    ArchiveLibrary& operator=(const ArchiveLibrary&) = delete;

#define RVISOR_ARCHIVE_MEMBER(name) decltype(&::archive_##name) name = nullptr;
    RVISOR_ARCHIVE_FUNCTIONS(RVISOR_ARCHIVE_MEMBER)
#undef RVISOR_ARCHIVE_MEMBER

private:
    void* m_handle = nullptr;
};

} // namespace rvisor::fn
