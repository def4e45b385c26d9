#include "fn/oci_image_layout.h"

#include "host/unique_fd.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace rvisor::fn {

namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "oci:";
constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
// Indexes, manifests and configs are read whole; real ones are a few KiB.
constexpr uint64_t kMaxJsonBlob = 4 << 20;
// An index may name indexes; a chain this long is a mistake or an attack.
constexpr int kMaxIndexDepth = 8;

constexpr std::string_view kIndexTypes[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
};
constexpr std::string_view kManifestTypes[] = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};
constexpr std::string_view kConfigTypes[] = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
};
struct LayerType {
    std::string_view media_type;
    LayerCompression compression;
};
constexpr LayerType kLayerTypes[] = {
    { "application/vnd.oci.image.layer.v1.tar", LayerCompression::None },
    { "application/vnd.oci.image.layer.v1.tar+gzip", LayerCompression::Gzip },
    { "application/vnd.oci.image.layer.v1.tar+zstd", LayerCompression::Zstd },
    { "application/vnd.docker.image.rootfs.diff.tar.gzip", LayerCompression::Gzip },
};

template <size_t N> bool is_one_of(const std::string& value, const std::string_view (&set)[N])
{
    for (std::string_view member : set)
        if (value == member)
            return true;
    return false;
}

[[noreturn]] void fail_at(const std::filesystem::path& path, std::string_view what)
{
    throw ImageLayoutError(fmt::format("{}: {}", path.string(), what));
}

host::UniqueFd open_regular_file(const std::filesystem::path& path)
{
    // A symlink in the layout could name any file the control program can read.
    host::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd)
        fail_at(path, std::strerror(errno));
    struct stat status { };
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode))
        fail_at(path, "it is not a regular file");
    return fd;
}

// Each chunk of `fd` to its end, given to `consume`.
template <typename Consume>
void read_chunks(int fd, const std::filesystem::path& path, Consume&& consume)
{
    std::vector<char> buffer(1 << 16);
    for (;;) {
        const ssize_t count = ::read(fd, buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            fail_at(path, std::strerror(errno));
        if (count == 0)
            return;
        consume(std::string_view(buffer.data(), static_cast<size_t>(count)));
    }
}

// Up to `limit` bytes; more is refused.
std::string read_up_to(int fd, const std::filesystem::path& path, uint64_t limit)
{
    std::string text;
    read_chunks(fd, path, [&](std::string_view chunk) {
        text += chunk;
        if (text.size() > limit)
            fail_at(path, fmt::format("it is larger than {} bytes", limit));
    });
    return text;
}

// The sha256 of what `feed` gives the update function it is passed, in lowercase hex.
template <typename Feed> std::string sha256_hex(Feed&& feed)
{
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
        EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
    feed([&](std::string_view bytes) {
        EVP_DigestUpdate(context.get(), bytes.data(), bytes.size());
    });
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context.get(), digest, &length);
    std::string hex;
    for (unsigned i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

void check_digest(
    const std::filesystem::path& path, const std::string& digest, const std::string& actual)
{
    if (actual != digest.substr(7))
        fail_at(path,
            fmt::format("its sha256 is {}, its descriptor says {}", actual, digest.substr(7)));
}

void check_size(const std::filesystem::path& path, int fd, uint64_t size)
{
    struct stat status { };
    ::fstat(fd, &status);
    if (static_cast<uint64_t>(status.st_size) != size)
        fail_at(path, fmt::format("it has {} bytes, its descriptor says {}", status.st_size, size));
}

struct Descriptor {
    std::string media_type;
    std::string digest;
    uint64_t size = 0;
    std::string platform; // "os/architecture", or empty
    std::string ref_name; // its org.opencontainers.image.ref.name annotation
};

// The layout being resolved: where it is, and how its files are named in errors.
class Layout {
public:
    explicit Layout(std::filesystem::path directory)
        : m_directory(std::move(directory))
    {
    }

    [[noreturn]] void fail(std::string_view file, std::string_view what) const
    {
        fail_at(m_directory / file, what);
    }

    // A small file read whole (oci-layout, index.json), refused when larger than a blob may be.
    json read_json_file(std::string_view file) const
    {
        const host::UniqueFd fd = open_regular(file);
        return parse(file, read_all(fd.get(), file, kMaxJsonBlob + 1));
    }

    std::filesystem::path path(std::string_view file) const { return m_directory / file; }

    std::string blob_file(const Descriptor& descriptor) const
    {
        return fmt::format("blobs/sha256/{}", descriptor.digest.substr(7));
    }

    // The blob opened, its size checked against the descriptor.
    host::UniqueFd open_blob(const Descriptor& descriptor) const
    {
        const std::string file = blob_file(descriptor);
        host::UniqueFd fd = open_regular(file);
        check_size(path(file), fd.get(), descriptor.size);
        return fd;
    }

    // A JSON blob (an index, manifest or config), its size and digest checked first.
    json read_json_blob(const Descriptor& descriptor) const
    {
        const std::string file = blob_file(descriptor);
        if (descriptor.size > kMaxJsonBlob)
            fail(file,
                fmt::format(
                    "{} bytes is too large for a {}", descriptor.size, descriptor.media_type));
        const host::UniqueFd fd = open_blob(descriptor);
        const std::string text = read_all(fd.get(), file, descriptor.size);
        check_digest(path(file), descriptor.digest,
            sha256_hex([&](auto&& update) { update(std::string_view(text)); }));
        return parse(file, text);
    }

    Descriptor descriptor(std::string_view file, const json& value) const
    {
        if (!value.is_object() || !value.contains("mediaType") || !value.at("mediaType").is_string()
            || !value.contains("digest") || !value.at("digest").is_string()
            || !value.contains("size") || !value.at("size").is_number_unsigned())
            fail(file, "a descriptor needs a mediaType, a digest and a size");
        Descriptor result;
        result.media_type = value.at("mediaType").get<std::string>();
        result.digest = value.at("digest").get<std::string>();
        result.size = value.at("size").get<uint64_t>();
        const std::string_view digest = result.digest;
        if (!digest.starts_with("sha256:") || digest.size() != 7 + 64
            || digest.find_first_not_of("0123456789abcdef", 7) != std::string_view::npos)
            fail(file,
                fmt::format(
                    "the digest \"{}\" is not sha256: and 64 lowercase hex digits", result.digest));
        if (value.contains("platform")) {
            const json& platform = value.at("platform");
            if (!platform.is_object() || !platform.value("os", json()).is_string()
                || !platform.value("architecture", json()).is_string())
                fail(file, "a platform needs an os and an architecture");
            result.platform = fmt::format("{}/{}", platform.at("os").get<std::string>(),
                platform.at("architecture").get<std::string>());
        }
        if (value.contains("annotations")) {
            const json& annotations = value.at("annotations");
            if (!annotations.is_object())
                fail(file, "annotations must be an object");
            const auto ref_name = annotations.find(kRefName);
            if (ref_name != annotations.end() && ref_name->is_string())
                result.ref_name = ref_name->get<std::string>();
        }
        return result;
    }

    // The manifests (or nested indexes) an index lists.
    std::vector<Descriptor> index_entries(std::string_view file, const json& index) const
    {
        check_schema(file, index);
        if (!index.contains("manifests") || !index.at("manifests").is_array())
            fail(file, "an index needs a list of manifests");
        std::vector<Descriptor> entries;
        for (const json& entry : index.at("manifests"))
            entries.push_back(descriptor(file, entry));
        return entries;
    }

    void check_schema(std::string_view file, const json& document) const
    {
        if (!document.is_object() || document.value("schemaVersion", json()) != 2)
            fail(file, "its schemaVersion is not 2");
    }

private:
    host::UniqueFd open_regular(std::string_view file) const
    {
        return open_regular_file(m_directory / file);
    }

    std::string read_all(int fd, std::string_view file, uint64_t limit) const
    {
        return read_up_to(fd, m_directory / file, limit);
    }

    json parse(std::string_view file, const std::string& text) const
    {
        try {
            return json::parse(text);
        } catch (const json::exception& error) {
            fail(file, fmt::format("it is not JSON ({})", error.what()));
        }
    }

    std::filesystem::path m_directory;
};

std::string platforms(const std::vector<Descriptor>& entries)
{
    std::string list;
    for (const Descriptor& entry : entries)
        list += fmt::format("{}{}", list.empty() ? "" : ", ",
            entry.platform.empty() ? "no platform" : entry.platform);
    return list;
}

// The entry an index's `tag` names, or its only entry, or its only linux/riscv64 entry.
Descriptor choose(const Layout& layout, std::string_view file,
    const std::vector<Descriptor>& entries, const std::string& tag)
{
    std::vector<Descriptor> candidates;
    for (const Descriptor& entry : entries)
        if (tag.empty() || entry.ref_name == tag)
            candidates.push_back(entry);
    if (candidates.empty() && !tag.empty()) {
        std::string tags;
        for (const Descriptor& entry : entries)
            if (!entry.ref_name.empty())
                tags += fmt::format("{}{}", tags.empty() ? "" : ", ", entry.ref_name);
        layout.fail(file,
            fmt::format(
                "no manifest is tagged \"{}\" (tags: {})", tag, tags.empty() ? "none" : tags));
    }
    if (candidates.size() == 1)
        return candidates.front();
    std::vector<Descriptor> riscv;
    for (const Descriptor& entry : candidates)
        if (entry.platform == "linux/riscv64")
            riscv.push_back(entry);
    if (riscv.size() == 1)
        return riscv.front();
    if (riscv.empty())
        layout.fail(file,
            fmt::format("no manifest for linux/riscv64 among {} ({})", candidates.size(),
                platforms(candidates)));
    layout.fail(
        file, fmt::format("{} manifests for linux/riscv64: name one with a tag", riscv.size()));
}

// The config says which machine the image's programs are for; an index may not say.
void check_config(const Layout& layout, const Descriptor& descriptor)
{
    const std::string file = layout.blob_file(descriptor);
    if (!is_one_of(descriptor.media_type, kConfigTypes))
        layout.fail(file,
            fmt::format(
                "the config's media type {} is not an image config", descriptor.media_type));
    const json config = layout.read_json_blob(descriptor);
    if (!config.is_object())
        layout.fail(file, "the config is not an object");
    const json os = config.value("os", json("linux"));
    const json architecture = config.value("architecture", json("riscv64"));
    if (os != "linux" || architecture != "riscv64")
        layout.fail(file,
            fmt::format(
                "the image is for {}/{}, not linux/riscv64", os.dump(), architecture.dump()));
}

ResolvedImage read_manifest(const Layout& layout, const Descriptor& descriptor)
{
    const std::string file = layout.blob_file(descriptor);
    const json manifest = layout.read_json_blob(descriptor);
    layout.check_schema(file, manifest);
    if (manifest.contains("mediaType") && manifest.at("mediaType") != descriptor.media_type)
        layout.fail(file,
            fmt::format("its mediaType {} is not its descriptor's {}",
                manifest.at("mediaType").dump(), descriptor.media_type));
    if (!manifest.contains("config") || !manifest.contains("layers")
        || !manifest.at("layers").is_array())
        layout.fail(file, "a manifest needs a config and a list of layers");
    check_config(layout, layout.descriptor(file, manifest.at("config")));
    ResolvedImage image { descriptor.digest, {} };
    for (const json& entry : manifest.at("layers")) {
        const Descriptor layer = layout.descriptor(file, entry);
        const LayerType* type = nullptr;
        for (const LayerType& known : kLayerTypes)
            if (layer.media_type == known.media_type)
                type = &known;
        if (!type)
            layout.fail(file,
                fmt::format("the layer {} has the media type {}, which is not a tar, tar+gzip "
                            "or tar+zstd layer",
                    layer.digest, layer.media_type));
        layout.open_blob(layer);
        image.layers.push_back(
            { layout.path(layout.blob_file(layer)), layer.digest, layer.size, type->compression });
    }
    return image;
}

} // namespace

bool is_oci_layout_reference(const std::string& image) { return image.starts_with(kPrefix); }

OciLayoutReference parse_oci_layout_reference(const std::string& image)
{
    const std::string rest = image.substr(kPrefix.size());
    const size_t colon = rest.find(':');
    OciLayoutReference reference { rest.substr(0, colon), {} };
    if (colon != std::string::npos) {
        reference.tag = rest.substr(colon + 1);
        if (reference.tag.empty())
            throw ImageLayoutError(fmt::format("The image \"{}\" has an empty tag.", image));
    }
    if (!reference.directory.is_absolute())
        throw ImageLayoutError(
            fmt::format("The image \"{}\" must name an absolute directory after oci:.", image));
    return reference;
}

ResolvedImage resolve_oci_image_layout(const OciLayoutReference& reference)
{
    const Layout layout(reference.directory);
    const json marker = layout.read_json_file("oci-layout");
    if (!marker.is_object() || marker.value("imageLayoutVersion", json()) != "1.0.0")
        layout.fail("oci-layout", "its imageLayoutVersion is not \"1.0.0\"");
    std::string file = "index.json";
    Descriptor chosen = choose(
        layout, file, layout.index_entries(file, layout.read_json_file(file)), reference.tag);
    for (int depth = 0; is_one_of(chosen.media_type, kIndexTypes); ++depth) {
        file = layout.blob_file(chosen);
        if (depth == kMaxIndexDepth)
            layout.fail(file, fmt::format("indexes nest deeper than {}", kMaxIndexDepth));
        const json index = layout.read_json_blob(chosen);
        chosen = choose(layout, file, layout.index_entries(file, index), {});
    }
    if (!is_one_of(chosen.media_type, kManifestTypes))
        layout.fail(file,
            fmt::format("the entry {} has the media type {}, which is not a manifest or an index",
                chosen.digest, chosen.media_type));
    return read_manifest(layout, chosen);
}

std::string blob_digest(std::string_view bytes)
{
    return "sha256:" + sha256_hex([&](auto&& update) { update(bytes); });
}

void verify_layer(const ImageLayer& layer)
{
    const host::UniqueFd fd = open_regular_file(layer.blob);
    check_size(layer.blob, fd.get(), layer.size);
    check_digest(layer.blob, layer.digest,
        sha256_hex([&](auto&& update) { read_chunks(fd.get(), layer.blob, update); }));
}

} // namespace rvisor::fn
