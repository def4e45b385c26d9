#pragma once
// A function's root from an OCI image layout directory (the image-spec's image-layout.md: an
// `oci-layout` file, `index.json` and `blobs/sha256/…`), named in skopeo's transport syntax,
// `oci:/abs/path[:tag]`. Resolving it follows index.json, through nested indexes, to the
// linux/riscv64 manifest and its layers, and checks every blob it reads against the digest and
// size of its descriptor: the layout comes from the caller, so nothing in it is trusted.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rvisor::fn {

// What is wrong with a layout or one of its layers, in one line naming the file.
class ImageLayoutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OciLayoutReference {
    std::filesystem::path directory;
    std::string tag; // the index entry's org.opencontainers.image.ref.name; empty: the only one
};

enum class LayerCompression { None, Gzip, Zstd };

struct ImageLayer {
    std::filesystem::path blob;
    std::string digest; // "sha256:HEX"
    uint64_t size = 0;
    LayerCompression compression = LayerCompression::None;
};

struct ResolvedImage {
    std::string manifest_digest; // "sha256:HEX": what identifies the root the layers make
    std::vector<ImageLayer> layers; // the lowest first
};

// Whether `image` is in the oci: transport (or else names an image in Podman's store).
bool is_oci_layout_reference(const std::string& image);
// "oci:/abs/path[:tag]": the path ends at the first ':' after the prefix, as in skopeo. Throws
// ImageLayoutError for a path that is not absolute or an empty tag.
OciLayoutReference parse_oci_layout_reference(const std::string& image);

// Reads and checks oci-layout, index.json, the chosen (nested) index, manifest and config. The
// layers' blobs are only found and checked for size here; verify_layer() hashes each one.
ResolvedImage resolve_oci_image_layout(const OciLayoutReference& reference);

// "sha256:HEX": how a descriptor names `bytes`.
std::string blob_digest(std::string_view bytes);

// Throws ImageLayoutError unless the layer's blob has its descriptor's size and sha256.
void verify_layer(const ImageLayer& layer);

} // namespace rvisor::fn
