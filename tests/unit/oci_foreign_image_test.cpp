#include "oci/foreign_image.h"

#include <gtest/gtest.h>

#include <elf.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using rvisor::oci::ContainerSpec;
using rvisor::oci::is_foreign_program;
using rvisor::oci::ProcessSpec;

namespace {

class OciForeignImageTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::filesystem::create_directories(m_root / "bin");
        std::filesystem::create_directories(m_root / "usr/bin");
        write_elf("bin/busybox", EM_RISCV);
        write_elf("usr/bin/x86", EM_X86_64);
        std::filesystem::create_symlink("busybox", m_root / "bin/sh");
        // Absolute targets are the container's, not the host's.
        std::filesystem::create_symlink("/usr/bin/x86", m_root / "bin/tool");
        std::ofstream(m_root / "bin/script") << "#!/bin/sh\necho hi\n";
        m_spec.root = m_root;
        m_spec.process = ProcessSpec {};
        m_spec.process->cwd = std::string(1, '/');
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }

    void write_elf(const char* name, uint16_t machine)
    {
        unsigned char header[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT };
        header[EI_NIDENT + 2] = static_cast<unsigned char>(machine & 0xff);
        header[EI_NIDENT + 3] = static_cast<unsigned char>(machine >> 8);
        std::ofstream(m_root / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(header), sizeof header);
    }
    bool foreign(std::string program, std::vector<std::string> env = {})
    {
        m_spec.process->args = { std::move(program) };
        m_spec.process->env = std::move(env);
        return is_foreign_program(m_spec);
    }

    const std::filesystem::path m_root
        = std::filesystem::temp_directory_path() / ("rvisor-foreign-" + std::to_string(::getpid()));
    ContainerSpec m_spec;
};

} // namespace

TEST_F(OciForeignImageTest, RiscvProgramsScriptsAndMissingOnesStay)
{
    EXPECT_FALSE(foreign("/bin/busybox"));
    EXPECT_FALSE(foreign("sh"));
    EXPECT_FALSE(foreign("/bin/script"));
    EXPECT_FALSE(foreign("missing"));
    EXPECT_FALSE(foreign("/nowhere/x"));
}

TEST_F(OciForeignImageTest, OtherMachinesGoToRuncThroughPathAndSymlinks)
{
    EXPECT_TRUE(foreign("/usr/bin/x86"));
    EXPECT_TRUE(foreign("x86"));
    EXPECT_TRUE(foreign("tool"));
    EXPECT_TRUE(foreign("/bin/tool"));
    // PATH is the process's.
    EXPECT_FALSE(foreign("x86", { "PATH=/bin" }));
    EXPECT_TRUE(foreign("../usr/bin/x86"));
}
