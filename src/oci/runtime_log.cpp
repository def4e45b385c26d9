#include "oci/runtime_log.h"

#include "host/one_line.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace rvisor::oci {

RuntimeLog::RuntimeLog(const std::filesystem::path& file, LogFormat format)
    : m_file(file)
    , m_format(format)
{
    std::ofstream probe(file, std::ios::app);
    if (!probe)
        throw std::runtime_error(fmt::format("cannot open the log file {}", file.string()));
}

void RuntimeLog::error(const std::string& message) const
{
    fmt::print(stderr, "rvisor-oci: error: {}\n", host::one_line(message));
    write("error", message);
}

void RuntimeLog::info(const std::string& message) const { write("info", message); }

void RuntimeLog::warning(const std::string& message) const { write("warning", message); }

void RuntimeLog::write(const char* level, const std::string& message) const
{
    if (!m_file)
        return;
    const auto now
        = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const std::string time = fmt::format("{:%FT%T}Z", now);
    std::string line;
    if (m_format == LogFormat::Json)
        line = nlohmann::json { { "level", level }, { "msg", message }, { "time", time } }.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace);
    else
        line = fmt::format("{} {} {}", time, level, host::one_line(message));
    std::ofstream(*m_file, std::ios::app) << line << '\n';
}

} // namespace rvisor::oci
