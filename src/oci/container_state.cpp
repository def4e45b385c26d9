#include "oci/container_state.h"

#include <fmt/format.h>

#include <stdexcept>

namespace rvisor::oci {

namespace {

// Version 1: the fields below. A later version adds fields and reads this one.
constexpr int kRecordVersion = 1;

} // namespace

nlohmann::json ContainerState::to_record() const
{
    return {
        { "version", kRecordVersion },
        { "id", id },
        { "bundle", bundle.string() },
        { "status", status_name(status) },
        { "pid", pid },
        { "pid_start_time", pid_start_time },
        { "created", created },
        { "annotations", annotations },
    };
}

ContainerState ContainerState::from_record(const nlohmann::json& record)
{
    try {
        const int version = record.at("version").get<int>();
        if (version < 1 || version > kRecordVersion)
            throw std::runtime_error(
                fmt::format("its format version {} is not one this rvisor-oci reads (1 to {})",
                    version, kRecordVersion));
        ContainerState state;
        state.id = record.at("id").get<std::string>();
        state.bundle = record.at("bundle").get<std::string>();
        const auto status = parse_status(record.at("status").get<std::string>());
        if (!status)
            throw std::runtime_error("its status is not one of the runtime spec's");
        state.status = *status;
        state.pid = record.at("pid").get<pid_t>();
        state.pid_start_time = record.at("pid_start_time").get<uint64_t>();
        state.created = record.at("created").get<std::string>();
        state.annotations = record.at("annotations").get<std::map<std::string, std::string>>();
        return state;
    } catch (const nlohmann::json::exception& error) {
        throw std::runtime_error(fmt::format("a field is missing or mistyped: {}", error.what()));
    }
}

nlohmann::json ContainerState::to_oci_state() const
{
    nlohmann::json state = {
        { "ociVersion", kOciVersion },
        { "id", id },
        { "status", status_name(status) },
        { "pid", status == ContainerStatus::Stopped ? 0 : pid },
        { "bundle", bundle.string() },
        { "created", created },
    };
    state["annotations"] = annotations;
    return state;
}

} // namespace rvisor::oci
