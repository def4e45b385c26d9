// OCI image layouts as function roots: resolving index.json to the riscv64 manifest's layers,
// checking blobs against their digests, and unpacking layers with whiteouts, beneath the root.
#include "fn/layer_unpack.h"
#include "fn/oci_image_layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <sys/stat.h>

namespace rvisor::fn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";
constexpr const char* kGzipLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

struct Entry {
    std::string path;
    mode_t type = AE_IFREG;
    std::string data; // a file's bytes, a link's target
    mode_t permissions = 0644;
    bool hard_link = false;
};

// A gzip'd pax tar of `entries`, made with libarchive's writer.
std::string gzip_tar(const std::vector<Entry>& entries)
{
    std::string bytes;
    archive* writer = archive_write_new();
    archive_write_add_filter_gzip(writer);
    archive_write_set_format_pax_restricted(writer);
    archive_write_open(
        writer, &bytes, nullptr,
        [](archive*, void* out, const void* data, size_t size) -> la_ssize_t {
            static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
            return static_cast<la_ssize_t>(size);
        },
        nullptr);
    for (const Entry& item : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, item.path.c_str());
        archive_entry_set_perm(entry, item.permissions);
        archive_entry_set_mtime(entry, 1000000 + static_cast<time_t>(item.path.size()), 0);
        if (item.hard_link) {
            archive_entry_set_hardlink(entry, item.data.c_str());
        } else {
            archive_entry_set_filetype(entry, item.type);
            if (item.type == AE_IFLNK)
                archive_entry_set_symlink(entry, item.data.c_str());
            if (item.type == AE_IFREG)
                archive_entry_set_size(entry, static_cast<la_int64_t>(item.data.size()));
        }
        archive_write_header(writer, entry);
        if (item.type == AE_IFREG && !item.hard_link)
            archive_write_data(writer, item.data.data(), item.data.size());
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
    return bytes;
}

// Writes a layout in a temporary directory, blob by blob.
class LayoutBuilder {
public:
    LayoutBuilder()
        : m_directory(fs::temp_directory_path()
            / fmt::format("rvisor-oci-{}-{}", ::getpid(),
                ::testing::UnitTest::GetInstance()->current_test_info()->name()))
    {
        fs::remove_all(m_directory);
        fs::create_directories(m_directory / "blobs" / "sha256");
        write("oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
    }
    ~LayoutBuilder() { fs::remove_all(m_directory); }

    const fs::path& directory() const { return m_directory; }

    void write(const fs::path& file, const std::string& bytes) const
    {
        std::ofstream(m_directory / file, std::ios::binary) << bytes;
    }

    json blob(const std::string& bytes, const std::string& media_type) const
    {
        const std::string hex = rvisor::fn::blob_digest(bytes).substr(7);
        write(fs::path("blobs/sha256") / hex, bytes);
        return { { "mediaType", media_type }, { "digest", "sha256:" + hex },
            { "size", bytes.size() } };
    }

    // A manifest of `layers` (each a list of entries) for linux/`architecture`.
    json manifest(const std::vector<std::vector<Entry>>& layers,
        const std::string& architecture = "riscv64") const
    {
        json layer_descriptors = json::array();
        for (const auto& layer : layers)
            layer_descriptors.push_back(blob(gzip_tar(layer), kGzipLayerType));
        const json config
            = blob(json({ { "architecture", architecture }, { "os", "linux" } }).dump(),
                "application/vnd.oci.image.config.v1+json");
        json descriptor = blob(json({ { "schemaVersion", 2 }, { "mediaType", kManifestType },
                                        { "config", config }, { "layers", layer_descriptors } })
                                   .dump(),
            kManifestType);
        descriptor["platform"] = { { "os", "linux" }, { "architecture", architecture } };
        return descriptor;
    }

    json index(const json& manifests) const
    {
        return { { "schemaVersion", 2 }, { "mediaType", kIndexType }, { "manifests", manifests } };
    }

    void write_index(const json& manifests) const { write("index.json", index(manifests).dump()); }

    OciLayoutReference reference(const std::string& tag = {}) const { return { m_directory, tag }; }

private:
    fs::path m_directory;
};

// A fresh root (and beside it an "outside" directory no entry may reach).
class Unpacked {
public:
    explicit Unpacked(const LayoutBuilder& layout)
        : m_root(layout.directory().string() + "-root")
        , m_outside(layout.directory().string() + "-outside")
    {
        fs::remove_all(m_root);
        fs::remove_all(m_outside);
        fs::create_directories(m_root / "rootfs");
        fs::create_directories(m_outside);
    }
    ~Unpacked()
    {
        fs::remove_all(m_root);
        fs::remove_all(m_outside);
    }

    fs::path root() const { return m_root / "rootfs"; }
    const fs::path& outside() const { return m_outside; }

    void unpack(const ResolvedImage& image) const
    {
        LayerUnpacker unpacker(root());
        for (const ImageLayer& layer : image.layers) {
            verify_layer(layer);
            unpacker.apply(layer);
        }
        unpacker.finish();
    }

private:
    fs::path m_root;
    fs::path m_outside;
};

std::string read(const fs::path& path)
{
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

std::string refusal(const std::function<void()>& action)
{
    try {
        action();
    } catch (const ImageLayoutError& error) {
        return error.what();
    }
    return "not refused";
}

TEST(OciImageLayout, TwoLayersWithAWhiteoutAndAnOpaqueDirectory)
{
    LayoutBuilder layout;
    layout.write_index(json::array({ layout.manifest({
        { { "etc", AE_IFDIR, "", 0755 }, { "etc/keep", AE_IFREG, "kept", 0751 },
            { "etc/gone", AE_IFREG, "whited out" }, { "data/old", AE_IFREG, "lower" },
            { "data/sub/older", AE_IFREG, "lower" }, { "bin", AE_IFLNK, "usr/bin" },
            { "etc/again", AE_IFREG, "etc/keep", 0600, true } },
        { { "etc/.wh.gone", AE_IFREG, "" }, { "data/new", AE_IFREG, "upper" },
            { "data/.wh..wh..opq", AE_IFREG, "" }, { "readonly", AE_IFDIR, "", 0555 },
            { "readonly/file", AE_IFREG, "in it" } },
    }) }));
    const ResolvedImage image = resolve_oci_image_layout(layout.reference());
    ASSERT_EQ(image.layers.size(), 2u);
    EXPECT_EQ(image.layers[0].compression, LayerCompression::Gzip);
    Unpacked unpacked(layout);
    unpacked.unpack(image);
    const fs::path root = unpacked.root();
    EXPECT_EQ(read(root / "etc/keep"), "kept");
    EXPECT_FALSE(fs::exists(root / "etc/gone"));
    EXPECT_EQ(read(root / "data/new"), "upper");
    EXPECT_FALSE(fs::exists(root / "data/old"));
    EXPECT_FALSE(fs::exists(root / "data/sub"));
    EXPECT_EQ(fs::read_symlink(root / "bin"), "usr/bin");
    struct stat status { };
    ASSERT_EQ(::stat((root / "etc/keep").c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0751u);
    EXPECT_EQ(status.st_mtime, 1000000 + 8);
    EXPECT_EQ(status.st_nlink, 2u);
    ASSERT_EQ(::stat((root / "readonly").c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0555u);
    EXPECT_EQ(read(root / "readonly/file"), "in it");
}

TEST(OciImageLayout, ATagChoosesAmongSeveral)
{
    LayoutBuilder layout;
    json one = layout.manifest({ { { "which", AE_IFREG, "one" } } });
    json two = layout.manifest({ { { "which", AE_IFREG, "two" } } });
    one["annotations"] = { { "org.opencontainers.image.ref.name", "one" } };
    two["annotations"] = { { "org.opencontainers.image.ref.name", "two" } };
    layout.write_index(json::array({ one, two }));
    const ResolvedImage image = resolve_oci_image_layout(layout.reference("two"));
    EXPECT_EQ(image.manifest_digest, two["digest"]);
    Unpacked unpacked(layout);
    unpacked.unpack(image);
    EXPECT_EQ(read(unpacked.root() / "which"), "two");
    const std::string message
        = refusal([&] { resolve_oci_image_layout(layout.reference("three")); });
    EXPECT_NE(message.find("index.json: no manifest is tagged \"three\" (tags: one, two)"),
        std::string::npos)
        << message;
    // Without a tag, two riscv64 manifests are one too many.
    EXPECT_NE(refusal([&] {
        resolve_oci_image_layout(layout.reference());
    }).find("2 manifests for linux/riscv64"),
        std::string::npos);
}

TEST(OciImageLayout, ANestedIndexGivesItsRiscv64Manifest)
{
    LayoutBuilder layout;
    const json amd64 = layout.manifest({ { { "arch", AE_IFREG, "amd64" } } }, "amd64");
    const json riscv64 = layout.manifest({ { { "arch", AE_IFREG, "riscv64" } } });
    const json nested
        = layout.blob(layout.index(json::array({ amd64, riscv64 })).dump(), kIndexType);
    layout.write_index(json::array({ nested }));
    const ResolvedImage image = resolve_oci_image_layout(layout.reference());
    EXPECT_EQ(image.manifest_digest, riscv64["digest"]);
    Unpacked unpacked(layout);
    unpacked.unpack(image);
    EXPECT_EQ(read(unpacked.root() / "arch"), "riscv64");

    // With only amd64 there is nothing to run.
    const json only_amd64 = layout.blob(layout.index(json::array({ amd64 })).dump(), kIndexType);
    layout.write_index(json::array({ only_amd64 }));
    const std::string message = refusal([&] { resolve_oci_image_layout(layout.reference()); });
    EXPECT_NE(message.find("not linux/riscv64"), std::string::npos) << message;
}

TEST(OciImageLayout, ADigestMismatchIsRefused)
{
    LayoutBuilder layout;
    const json manifest = layout.manifest({ { { "file", AE_IFREG, "the layer's bytes" } } });
    layout.write_index(json::array({ manifest }));
    ResolvedImage image = resolve_oci_image_layout(layout.reference());
    // Same size, one byte changed: only the hash can tell.
    std::string bytes = read(image.layers[0].blob);
    bytes[bytes.size() / 2] ^= 1;
    layout.write(fs::relative(image.layers[0].blob, layout.directory()), bytes);
    std::string message = refusal([&] { verify_layer(image.layers[0]); });
    EXPECT_NE(message.find(image.layers[0].blob.string() + ": its sha256 is"), std::string::npos)
        << message;
    // The manifest's blob itself.
    const fs::path manifest_blob
        = fs::path("blobs/sha256") / manifest["digest"].get<std::string>().substr(7);
    std::string text = read(layout.directory() / manifest_blob);
    text[text.size() - 2] = ' ';
    layout.write(manifest_blob, text);
    message = refusal([&] { resolve_oci_image_layout(layout.reference()); });
    EXPECT_NE(message.find(manifest_blob.string() + ": its sha256 is"), std::string::npos)
        << message;
}

TEST(OciImageLayout, EntriesStayBeneathTheRoot)
{
    LayoutBuilder layout;
    const std::string outside = layout.directory().string() + "-outside";
    layout.write_index(json::array({ layout.manifest({ { { "../escape", AE_IFREG, "out" } } }) }));
    {
        Unpacked unpacked(layout);
        const std::string message
            = refusal([&] { unpacked.unpack(resolve_oci_image_layout(layout.reference())); });
        EXPECT_NE(message.find("\"../escape\" has a \"..\""), std::string::npos) << message;
        EXPECT_FALSE(fs::exists(unpacked.root().parent_path() / "escape"));
    }
    // An absolute symbolic link, then a write through it: in one layer, and across two.
    for (const auto& layers : std::vector<std::vector<std::vector<Entry>>> {
             { { { "link", AE_IFLNK, outside }, { "link/planted", AE_IFREG, "out" } } },
             { { { "link", AE_IFLNK, outside } }, { { "link/planted", AE_IFREG, "out" } } },
             { { { "link", AE_IFLNK, outside } }, { { "link/.wh..wh..opq", AE_IFREG, "" } } } }) {
        layout.write_index(json::array({ layout.manifest(layers) }));
        Unpacked unpacked(layout);
        fs::path victim = unpacked.outside() / "victim";
        std::ofstream(victim) << "mine";
        const std::string message
            = refusal([&] { unpacked.unpack(resolve_oci_image_layout(layout.reference())); });
        EXPECT_NE(message.find("passes through the symbolic link link"), std::string::npos)
            << message;
        EXPECT_FALSE(fs::exists(unpacked.outside() / "planted"));
        EXPECT_TRUE(fs::exists(victim));
    }
    // Absolute paths and hard links out of the root.
    for (const auto& [entry, words] : std::vector<std::pair<Entry, std::string>> {
             { { "/abs", AE_IFREG, "out" }, "\"/abs\" has an absolute path" },
             { { "passwd", AE_IFREG, "../../../etc/passwd", 0644, true },
                 "\"passwd\" has a \"..\"" } }) {
        layout.write_index(json::array({ layout.manifest({ { entry } }) }));
        Unpacked unpacked(layout);
        const std::string message
            = refusal([&] { unpacked.unpack(resolve_oci_image_layout(layout.reference())); });
        EXPECT_NE(message.find(words), std::string::npos) << message;
    }
}

TEST(OciImageLayout, AMissingOciLayoutIsRefused)
{
    LayoutBuilder layout;
    layout.write_index(json::array({ layout.manifest({ { { "file", AE_IFREG, "x" } } }) }));
    fs::remove(layout.directory() / "oci-layout");
    const std::string message = refusal([&] { resolve_oci_image_layout(layout.reference()); });
    EXPECT_EQ(
        message, (layout.directory() / "oci-layout").string() + ": No such file or directory");
    layout.write("oci-layout", R"({"imageLayoutVersion": "2.0.0"})");
    EXPECT_NE(refusal([&] {
        resolve_oci_image_layout(layout.reference());
    }).find("its imageLayoutVersion is not \"1.0.0\""),
        std::string::npos);
}

TEST(OciImageLayout, ReferencesAreOciTransportOnes)
{
    EXPECT_TRUE(is_oci_layout_reference("oci:/srv/img"));
    EXPECT_FALSE(is_oci_layout_reference("localhost/img:1"));
    const OciLayoutReference reference = parse_oci_layout_reference("oci:/srv/img:v1");
    EXPECT_EQ(reference.directory, "/srv/img");
    EXPECT_EQ(reference.tag, "v1");
    EXPECT_EQ(parse_oci_layout_reference("oci:/srv/img").tag, "");
    EXPECT_THROW(parse_oci_layout_reference("oci:relative"), ImageLayoutError);
    EXPECT_THROW(parse_oci_layout_reference("oci:/srv/img:"), ImageLayoutError);
}

} // namespace
} // namespace rvisor::fn
