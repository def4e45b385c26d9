// libFuzzer target: everything that reads a VM's settings or an API request from text (README.md):
// the --config JSON and API bodies through VmSpecBuilder, each option parser (--disk, --net,
// --mem, --engine, --vsock, --fs, mac=, bw=, iops=), and the API's body checks (PATCH /vm's among
// them). Each input goes to all of them. Each must accept it or throw an exception with a message
// (which may quote the input: `rvisor` escapes it to one line when it prints it); never crash. What
// the builder accepts must survive spec_to_json → apply unchanged, since a snapshot stores a spec
// that way.
#include "api/request_body.h"
#include "api/vm_patch.h"
#include "vmm/fs_option.h"
#include "vmm/net_option.h"
#include "vmm/rate_option.h"
#include "vmm/vm_spec_builder.h"
#include "vmm/vsock_option.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;

void expect_message(const std::exception& error)
{
    if (std::string(error.what()).empty())
        std::abort();
}

template <typename Parse> void try_parse(Parse&& parse)
{
    try {
        parse();
    } catch (const std::runtime_error& error) {
        expect_message(error);
    } catch (const std::invalid_argument& error) {
        expect_message(error);
    } catch (const std::out_of_range& error) {
        expect_message(error);
    }
}

std::string key_name(const std::string& key) { return "key '" + key + "'"; }

void check_settings(const json& settings)
{
    rvisor::vmm::VmSpecBuilder builder;
    builder.apply(settings, "/fuzz", "config: ", key_name);
    const json saved = rvisor::vmm::spec_to_json(builder.spec());
    rvisor::vmm::VmSpecBuilder again;
    again.apply(saved, "/fuzz", "snapshot: ", key_name);
    if (rvisor::vmm::spec_to_json(again.spec()) != saved)
        std::abort();
}

// An option parser's result must read back the same from the text its formatter gives.
template <typename Parse, typename Format>
void check_round_trip(const std::string& text, Parse&& parse, Format&& format)
{
    try_parse([&] {
        const auto config = parse(text);
        if (format(parse(format(config))) != format(config))
            std::abort();
    });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try_parse([&] { rvisor::vmm::parse_disk_option(text); });
    try_parse([&] { rvisor::vmm::parse_net_option(text); });
    try_parse([&] { rvisor::vmm::parse_mac_address(text); });
    try_parse([&] { rvisor::vmm::parse_memory_size(text); });
    try_parse([&] { rvisor::vmm::parse_engine(text); });
    check_round_trip(text, rvisor::vmm::parse_vsock_option, rvisor::vmm::format_vsock_option);
    check_round_trip(text, rvisor::vmm::parse_fs_option, rvisor::vmm::format_fs_option);
    try_parse([&] { rvisor::vmm::parse_bandwidth(text, "--disk"); });
    try_parse([&] { rvisor::vmm::parse_iops(text, "--disk"); });
    try_parse([&] { rvisor::api::parse_vm_patch(text); });
    try_parse([&] {
        static const rvisor::api::Field fields[] = {
            { "snapshot_path", true, {} },
            { "mem_file_path", true, {} },
            { "snapshot_type", false, { "Full" } },
        };
        rvisor::api::parse_string_fields(text, fields);
    });
    const json settings = json::parse(text, nullptr, false);
    if (settings.is_object())
        try_parse([&] { check_settings(settings); });
    return 0;
}
