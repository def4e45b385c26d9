#pragma once
// A VM's console output kept in a bounded log instead of on a terminal (the control program's
// VMs run detached): PATH holds the newest output, PATH.1 the part before it, and neither
// grows past the limit, so a chatty guest costs at most twice the limit on disk.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

namespace rvisor::host {

class ConsoleLog {
public:
    static constexpr uint64_t kDefaultLimit = 512 * 1024;

    // Appends to `path`, creating it (mode 0600). Throws std::runtime_error with one sentence.
    explicit ConsoleLog(const std::filesystem::path& path, uint64_t limit = kDefaultLimit);
    ~ConsoleLog();
    ConsoleLog(const ConsoleLog&) = delete;
    ConsoleLog& operator=(const ConsoleLog&) = delete;

    // Thread-safe. A failing disk loses output rather than stopping the guest.
    void write(const uint8_t* bytes, size_t length);

    // The output kept so far, oldest first: PATH.1 then PATH. Empty when there is none.
    static std::string read(const std::filesystem::path& path);

private:
    void rotate();

    std::filesystem::path m_path;
    uint64_t m_limit;
    std::mutex m_mutex;
    int m_fd = -1;
    uint64_t m_size = 0;
};

} // namespace rvisor::host
