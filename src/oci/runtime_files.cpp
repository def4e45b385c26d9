#include "oci/runtime_files.h"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>

namespace rvisor::oci {

namespace {

std::filesystem::path own_directory()
{
    std::error_code error;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        throw std::runtime_error("cannot find rvisor-oci's own path in /proc/self/exe");
    return self.parent_path();
}

std::optional<std::filesystem::path> first_existing(
    std::initializer_list<std::filesystem::path> paths)
{
    for (const auto& path : paths) {
        std::error_code error;
        if (!path.empty() && std::filesystem::is_regular_file(path, error))
            return path;
    }
    return std::nullopt;
}

std::filesystem::path environment(const char* name)
{
    const char* value = std::getenv(name);
    return value && *value ? std::filesystem::path(value) : std::filesystem::path();
}

} // namespace

RuntimeFiles find_runtime_files()
{
    const auto bin = own_directory();
    const auto share = bin.parent_path() / "share" / "rvisor";
    RuntimeFiles files;
    files.rvisor = bin / "rvisor";
    if (!std::filesystem::exists(files.rvisor))
        throw std::runtime_error(
            fmt::format("rvisor is not beside rvisor-oci (looked for {})", files.rvisor.string()));
    const auto kernel_variable = environment("RVISOR_OCI_KERNEL");
    const auto kernel
        = first_existing({ kernel_variable, share / "Image", bin / "guest" / "Image" });
    if (!kernel)
        throw std::runtime_error(fmt::format("no guest kernel: set RVISOR_OCI_KERNEL to a RISC-V "
                                             "Linux Image, or install one as {}",
            (share / "Image").string()));
    const auto initrd_variable = environment("RVISOR_OCI_INITRD");
    const auto initrd = first_existing({ initrd_variable, share / "agent-initramfs.cpio",
        bin / "guest" / "agent-initramfs.cpio" });
    if (!initrd)
        throw std::runtime_error(fmt::format("no agent initramfs: set RVISOR_OCI_INITRD, or "
                                             "install rvisor (cmake --install) so that {} exists",
            (share / "agent-initramfs.cpio").string()));
    files.images = { *kernel, { *initrd } };
    return files;
}

} // namespace rvisor::oci
