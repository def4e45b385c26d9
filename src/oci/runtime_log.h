#pragma once
// Where rvisor-oci reports: an error is one line on stderr, `rvisor-oci: error: ...`, and, with
// --log FILE, also a line in that file: text, or with --log-format json the JSON line engines
// parse, {"level":"error","msg":"...","time":"..."} (containerd shows the last one to the user).
#include <filesystem>
#include <optional>
#include <string>

namespace rvisor::oci {

enum class LogFormat { Text, Json };

class RuntimeLog {
public:
    RuntimeLog() = default;
    // Throws std::runtime_error when the file cannot be opened for appending.
    RuntimeLog(const std::filesystem::path& file, LogFormat format);

    void error(const std::string& message) const;
    void info(const std::string& message) const;
    // What went wrong without failing the command (a port not forwarded): in the file only,
    // since the monitor's stderr is the container's.
    void warning(const std::string& message) const;

private:
    void write(const char* level, const std::string& message) const;

    std::optional<std::filesystem::path> m_file;
    LogFormat m_format = LogFormat::Text;
};

} // namespace rvisor::oci
