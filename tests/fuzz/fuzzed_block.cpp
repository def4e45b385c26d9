#include "fuzzed_block.h"

#include "devices/virtio/block.h"
#include "host/block_file.h"

namespace rvisor::fuzz {

namespace {

class FuzzedBlock final : public FuzzedDevice {
public:
    FuzzedBlock(const ScratchImage& image, host::BlockFile::Access access)
        : m_block(std::make_unique<host::BlockFile>(image.path(), access), "fuzzed-disk")
    {
    }

    devices::virtio::VirtioDevice& device() override { return m_block; }
    bool serves_every_chain(unsigned) const override { return true; }

private:
    devices::virtio::VirtioBlock m_block;
};

} // namespace

std::unique_ptr<FuzzedDevice> make_fuzzed_block(const ScratchImage& image, ScriptReader& script)
{
    image.clear();
    const bool read_only = script.u8() & 1;
    return std::make_unique<FuzzedBlock>(
        image, read_only ? host::BlockFile::Access::ReadOnly : host::BlockFile::Access::ReadWrite);
}

} // namespace rvisor::fuzz
