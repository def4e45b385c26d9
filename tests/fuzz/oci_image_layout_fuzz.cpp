// libFuzzer target: an OCI image layout, as `image` "oci:DIR" has the control program resolve
// and unpack it (README.md). The first byte chooses what the rest is: index.json (0), the
// manifest (1), or a layer, plain tar (2), tar+gzip (3) or tar+zstd (4). The other files are
// valid and each blob's digest is made to match, so the input reaches the parser or the
// unpacker behind the checks. Resolving and unpacking must succeed or throw ImageLayoutError
// (or std::system_error for the host), and nothing may ever be written outside the root: every
// file of the work directory but the root's must be as it was.
//
// The work directory is /tmp/rvisor-oci-image-layout-fuzz (fixed, so that the seeds and the
// dictionary can hold a symbolic link to its "outside" directory).
#include "fn/layer_unpack.h"
#include "fn/oci_image_layout.h"
#include "fuzz_check.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>
#include <tuple>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using rvisor::fuzz::check;

const fs::path kWork = "/tmp/rvisor-oci-image-layout-fuzz";
const fs::path kLayout = kWork / "layout";
const fs::path kRoot = kWork / "unpacked" / "rootfs";

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kLayerTypes[] = { "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd" };

void write(const fs::path& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

json blob(const std::string& bytes, const std::string& media_type)
{
    const std::string hex = rvisor::fn::blob_digest(bytes).substr(7);
    write(kLayout / "blobs" / "sha256" / hex, bytes);
    return { { "mediaType", media_type }, { "digest", "sha256:" + hex }, { "size", bytes.size() } };
}

// Every path of the work directory outside the root, with its size (-1 for a directory) and
// permissions.
std::set<std::tuple<std::string, intmax_t, unsigned>> outside_the_root()
{
    std::set<std::tuple<std::string, intmax_t, unsigned>> files;
    std::error_code error;
    for (fs::recursive_directory_iterator it(kWork, error), end; it != end; it.increment(error)) {
        if (it->path() == kRoot) {
            it.disable_recursion_pending();
            continue;
        }
        const bool directory = it->is_directory(error) && !it->is_symlink(error);
        files.emplace(it->path().string(),
            directory ? -1
                      : static_cast<intmax_t>(it->is_symlink(error) ? 0 : it->file_size(error)),
            static_cast<unsigned>(it->symlink_status(error).permissions()));
    }
    return files;
}

// A layout whose files are valid but the one the input replaces.
void write_layout(uint8_t choice, const std::string& input)
{
    fs::remove_all(kLayout);
    fs::create_directories(kLayout / "blobs" / "sha256");
    write(kLayout / "oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
    const json config = blob(R"({"architecture": "riscv64", "os": "linux"})",
        "application/vnd.oci.image.config.v1+json");
    const json layer = choice >= 2 ? blob(input, kLayerTypes[choice - 2])
                                   : blob(std::string(1024, '\0'), kLayerTypes[0]); // an empty tar
    const std::string manifest = choice == 1
        ? input
        : json({ { "schemaVersion", 2 }, { "config", config }, { "layers", { layer } } }).dump();
    const json index
        = { { "schemaVersion", 2 }, { "manifests", { blob(manifest, kManifestType) } } };
    write(kLayout / "index.json", choice == 0 ? input : index.dump());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0 || data[0] > 4)
        return 0;
    static const bool prepared = [] {
        fs::remove_all(kWork);
        fs::create_directories(kWork / "outside");
        write(kWork / "outside" / "victim", "not to be touched");
        return true;
    }();
    (void)prepared;
    write_layout(data[0], std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    fs::remove_all(kRoot);
    fs::create_directories(kRoot);
    const auto before = outside_the_root();
    try {
        const rvisor::fn::ResolvedImage image
            = rvisor::fn::resolve_oci_image_layout({ kLayout, {} });
        rvisor::fn::LayerUnpacker unpacker(kRoot);
        for (const rvisor::fn::ImageLayer& layer : image.layers) {
            rvisor::fn::verify_layer(layer);
            unpacker.apply(layer);
        }
        unpacker.finish();
    } catch (const rvisor::fn::ImageLayoutError& error) {
        check(*error.what() != '\0', "a refusal has a message");
    } catch (const std::system_error&) {
    }
    check(outside_the_root() == before, "nothing is written outside the root");
    return 0;
}
