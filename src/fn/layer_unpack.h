#pragma once
// Builds a root filesystem from an image's layers (tar streams, plain, gzip or zstd), each
// applied over the ones below with the OCI whiteouts: `.wh.NAME` deletes NAME of the lower
// layers, `.wh..wh..opq` empties its directory of them.
//
// The layers come from a caller, so every write stays beneath the root: an entry whose path is
// absolute or has a `..` is refused, as is one whose path passes through a symbolic link (an
// earlier entry or layer may have planted it: nothing is written through one), and a hard link
// must name an entry beneath the root. Everything is done relative to directory descriptors
// opened without following links (openat and friends), never by path from `/`.
//
// Modes, times and symbolic links are kept. Owners are kept when the control program runs as
// root; otherwise the files are the running user's. Device nodes are made only as root, and
// skipped otherwise (a function's /dev is the guest's devtmpfs). Extended attributes are not
// kept.
#include "fn/archive_library.h"
#include "fn/oci_image_layout.h"
#include "host/unique_fd.h"

#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <sys/types.h>

namespace rvisor::fn {

class LayerUnpacker {
public:
    // `root` must be an existing, empty directory. Throws std::runtime_error when libarchive
    // cannot be loaded (archive_library.h).
    explicit LayerUnpacker(const std::filesystem::path& root);

    // Applies one layer over those applied before. Throws ImageLayoutError naming the blob and
    // the entry when the layer breaks a rule above or is not a readable tar stream, and
    // std::system_error when the host fails (a full disk).
    void apply(const ImageLayer& layer);
    // Gives the directories their modes and times, held back until nothing more is written
    // into them (a read-only directory must still take its files).
    void finish();

    // What a directory's entry says, given to it by finish().
    struct DirectoryMetadata {
        mode_t mode = 0755;
        uid_t uid = 0;
        gid_t gid = 0;
        timespec mtime {};
    };

private:
    ArchiveLibrary m_library;
    host::UniqueFd m_root;
    // By path relative to the root ("" for the root itself).
    std::map<std::string, DirectoryMetadata> m_directories;
};

} // namespace rvisor::fn
