// libFuzzer target: the HTTP request handling of both APIs (README.md). The first byte chooses
// the server (bit 0: one VM's API, over a fake VM; or the control program's), the rest is what
// a client sends on one connection: one or more raw HTTP/1.1 requests.
//
// The bytes go straight into httplib's request processing through an in-memory stream (no
// socket, no thread, no timeout to wait out), one request after another as on a keep-alive
// connection. The control program runs in a state directory of its own that holds one VM whose
// process is gone; the program it would start VMs with does not exist, so a create that passes
// every check fails to spawn instead of booting a VM. The function platform's paths are served
// too, by a platform without the guest's images: a deploy that passes every check is refused
// with 503 before any VM starts.
//
// Every response must be a well-formed HTTP/1.1 status line and headers with a body of the
// length they state; a 4xx or 5xx must carry a one-line JSON body {"fault_message": "..."}.
#include "api/api_server.h"
#include "api/http_server.h"
#include "control/control_api.h"
#include "control/control_program.h"
#include "fn/function_api.h"
#include "fn/function_platform.h"
#include "fuzz_check.h"

#include <brotli/decode.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <strings.h>
#include <utility>
#include <zlib.h>

namespace {

using nlohmann::json;
using rvisor::fuzz::check;

// A client's bytes in, the server's bytes out.
class MemoryStream final : public httplib::Stream {
public:
    explicit MemoryStream(std::span<const uint8_t> input)
        : m_input(input)
    {
    }

    bool is_readable() const override { return !m_input.empty(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* buffer, size_t size) override
    {
        const size_t count = std::min(size, m_input.size());
        std::copy_n(m_input.begin(), count, buffer);
        m_input = m_input.subspan(count);
        return static_cast<ssize_t>(count);
    }
    ssize_t write(const char* data, size_t size) override
    {
        m_output.append(data, size);
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override
    {
        ip.clear();
        port = 0;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override
    {
        ip.clear();
        port = 0;
    }
    socket_t socket() const override { return INVALID_SOCKET; }

    std::span<const uint8_t> unread() const { return m_input; }
    // What the server wrote since the last call.
    std::string take_output() { return std::exchange(m_output, {}); }

private:
    std::span<const uint8_t> m_input;
    std::string m_output;
};

// httplib's request processing, reached without a socket.
class StreamServer final : public httplib::Server {
public:
    explicit StreamServer(const std::vector<rvisor::api::Route>& routes)
    {
        rvisor::api::serve_routes(*this, routes);
    }

    // One request from the stream and its response; false when the connection should close.
    bool serve_one(httplib::Stream& stream)
    {
        bool closed = false;
        return process_request(stream, false, closed, {}) && !closed && stream.is_readable();
    }
};

class FakeVm final : public rvisor::api::VmControl {
public:
    json describe() override
    {
        return { { "state", m_paused ? "Paused" : "Running" }, { "cpus", 1 }, { "mem_mib", 64 } };
    }
    void pause() override { m_paused = true; }
    void resume() override { m_paused = false; }
    // One disk and one network, as the API's index checks see them.
    void change_rate_limits(std::span<const rvisor::api::DeviceLimitChange> disks,
        std::span<const rvisor::api::DeviceLimitChange> nets) override
    {
        for (const auto& change : disks)
            if (change.index != 0)
                throw rvisor::api::ApiError(400, "No disk has that index.");
        for (const auto& change : nets)
            if (change.index != 0)
                throw rvisor::api::ApiError(400, "No network has that index.");
    }
    void create_snapshot(const std::filesystem::path&, const std::filesystem::path&) override
    {
        if (!m_paused)
            throw rvisor::api::ApiError(409, "The VM must be paused to create a snapshot.");
    }
    json describe_balloon() override
    {
        return { { "amount_mib", m_balloon_mib }, { "actual_mib", 0 }, { "deflate_on_oom", true } };
    }
    // A 64 MiB guest that keeps 16.
    void set_balloon(uint64_t amount_mib) override
    {
        if (amount_mib > 48)
            throw rvisor::api::ApiError(400, "amount_mib is more than the guest can give.");
        m_balloon_mib = amount_mib;
    }
    void shutdown() override { }

private:
    bool m_paused = false;
    uint64_t m_balloon_mib = 0;
};

// Both servers, each as a fresh process would have it at the start of every input. Building a
// server (httplib compiles a regular expression per route and method) and a control program (a
// thread) costs far more than a request, so they are rebuilt only when an input changed them.
class Servers {
public:
    Servers()
        : m_directory(make_state_directory())
    {
    }
    ~Servers() { std::filesystem::remove_all(m_directory); }

    StreamServer& vm_api()
    {
        m_vm = FakeVm {};
        return m_vm_server;
    }

    // The control program's state directory holds one VM, "vm0", whose process (pid 0, which
    // no process has) is gone, so it is never signalled. Its program does not exist.
    StreamServer& control_api()
    {
        if (m_program
            && m_program->list() == json::parse(R"([{"id":"vm0","pid":0,"state":"Crashed"}])"))
            return *m_control_server;
        m_control_server.reset();
        m_functions.reset();
        m_program.reset();
        std::filesystem::remove_all(m_directory / "vms");
        std::filesystem::create_directories(m_directory / "vms" / "vm0");
        std::ofstream(m_directory / "vms" / "vm0" / "record.json")
            << json { { "format", 1 }, { "id", "vm0" }, { "pid", 0 }, { "start_time", 0 },
                   { "cpus", 1 }, { "mem_mib", 64 }, { "origin", "config" }, { "created", 0 } };
        m_program = std::make_unique<rvisor::control::ControlProgram>(
            m_directory, m_directory / "no-such-rvisor");
        m_functions = std::make_unique<rvisor::fn::FunctionPlatform>(m_directory,
            m_directory / "no-such-rvisor", rvisor::oci::RuntimeImages {},
            "the fuzz target has no guest images");
        auto routes = rvisor::control::control_api_routes(
            *m_program, [this] { return m_functions->metrics(); });
        for (auto& route : rvisor::fn::function_api_routes(*m_functions))
            routes.push_back(std::move(route));
        m_control_server = std::make_unique<StreamServer>(std::move(routes));
        return *m_control_server;
    }

private:
    static std::filesystem::path make_state_directory()
    {
        std::string pattern = std::filesystem::temp_directory_path() / "api_http_fuzz.XXXXXX";
        check(mkdtemp(pattern.data()) != nullptr, "a state directory can be made");
        return pattern;
    }

    std::filesystem::path m_directory;
    FakeVm m_vm;
    std::mutex m_vm_mutex;
    StreamServer m_vm_server { rvisor::api::vm_api_routes(m_vm, m_vm_mutex) };
    std::unique_ptr<rvisor::control::ControlProgram> m_program;
    std::unique_ptr<rvisor::fn::FunctionPlatform> m_functions;
    std::unique_ptr<StreamServer> m_control_server;
};

std::string header_value(std::string_view head, std::string_view name)
{
    for (size_t line = head.find("\r\n"); line != std::string_view::npos;) {
        const size_t start = line + 2;
        line = head.find("\r\n", start);
        const std::string_view field = head.substr(start, line - start);
        if (field.size() > name.size() && field[name.size()] == ':'
            && strncasecmp(field.data(), name.data(), name.size()) == 0)
            return std::string(field.substr(name.size() + 1 + (field[name.size() + 1] == ' ')));
    }
    return {};
}

// httplib compresses a response body whenever the request's Accept-Encoding merely contains "br"
// (brotli) or else "gzip"; the fault inside is what must be well-formed. Empty when the body is
// not valid gzip.
std::string gunzip(std::string_view body)
{
    z_stream stream {};
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        return {};
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    stream.avail_in = static_cast<uInt>(body.size());
    std::string out;
    int result = Z_OK;
    while (result == Z_OK) {
        char chunk[4096];
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        result = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - stream.avail_out);
    }
    inflateEnd(&stream);
    return result == Z_STREAM_END ? out : std::string();
}

// As gunzip(), for brotli.
std::string unbrotli(std::string_view body)
{
    std::string out(64 * 1024, '\0'); // far more than any fault message
    size_t size = out.size();
    if (BrotliDecoderDecompress(body.size(), reinterpret_cast<const uint8_t*>(body.data()), &size,
            reinterpret_cast<uint8_t*>(out.data()))
        != BROTLI_DECODER_RESULT_SUCCESS)
        return {};
    out.resize(size);
    return out;
}

// Checks the response to one request (after any 100 Continue) and that nothing follows it.
void check_response(std::string_view output, const std::string& method)
{
    const std::string response(output);
    // A broken invariant shows the response, which the crash input alone does not.
    const auto check = [&](bool holds, const char* invariant) {
        if (!holds)
            std::fprintf(stderr, "response to %s:\n%s\n", method.c_str(), response.c_str());
        rvisor::fuzz::check(holds, invariant);
    };
    while (output.starts_with("HTTP/1.1 100 ")) {
        const size_t end = output.find("\r\n\r\n");
        check(end != std::string_view::npos, "an interim response ends");
        output.remove_prefix(end + 4);
    }
    if (output.empty())
        return; // the client sent nothing more, or closed mid-request
    check(output.starts_with("HTTP/1.1 ") && output.size() > 12 && output[12] == ' ',
        "a response starts with a status line");
    const int status = std::atoi(std::string(output.substr(9, 3)).c_str());
    check(status >= 200 && status <= 599, "a final response has a 2xx to 5xx status");
    const size_t end_of_head = output.find("\r\n\r\n");
    check(end_of_head != std::string_view::npos, "a response's headers end");
    const std::string_view head = output.substr(0, end_of_head);
    const std::string_view body = output.substr(end_of_head + 4);
    const std::string length = header_value(head, "Content-Length");
    if (method == "HEAD" || status == 204) {
        check(body.empty(), "a HEAD or 204 response has no body");
        return;
    }
    check(std::to_string(body.size()) == (length.empty() ? "0" : length),
        "the body is as long as Content-Length says");
    if (status < 400)
        return;
    const std::string encoding = header_value(head, "Content-Encoding");
    check(encoding.empty() || encoding == "gzip" || encoding == "br",
        "a body is plain, gzipped or brotli");
    const std::string fault_body = encoding.empty() ? std::string(body)
        : encoding == "gzip"                        ? gunzip(body)
                                                    : unbrotli(body);
    check(!fault_body.empty(), "a compressed body inflates");
    check(fault_body.find('\n') == std::string_view::npos, "a fault is one line");
    const json fault = json::parse(fault_body, nullptr, false);
    check(fault.is_object() && fault.size() == 1 && fault.contains("fault_message")
            && fault["fault_message"].is_string(),
        "a 4xx or 5xx response is {\"fault_message\": \"...\"}");
}

// The method of the request at the start of `input`, as httplib 0.11.4 takes it (a HEAD is
// answered without a body, even a 400's): the first word of the request line, split at spaces
// and trimmed of spaces and tabs, when that line (up to a NUL) ends in CRLF.
std::string request_method(std::span<const uint8_t> input)
{
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    std::string_view line = text.substr(0, text.find('\n') + 1);
    line = line.substr(0, line.find('\0'));
    if (!line.ends_with("\r\n"))
        return {};
    line.remove_suffix(2);
    for (size_t start = 0; start <= line.size();) {
        const size_t end = std::min(line.find(' ', start), line.size());
        std::string_view word = line.substr(start, end - start);
        word.remove_prefix(std::min(word.find_first_not_of(" \t"), word.size()));
        word.remove_suffix(word.size() - std::min(word.find_last_not_of(" \t") + 1, word.size()));
        if (!word.empty())
            return std::string(word);
        start = end + 1;
    }
    return {};
}

void serve(StreamServer& server, std::span<const uint8_t> requests)
{
    MemoryStream stream(requests);
    // A bound, since a connection's requests could be many empty lines.
    for (int request = 0; request < 8; ++request) {
        const std::string method = request_method(stream.unread());
        const bool more = server.serve_one(stream);
        check_response(stream.take_output(), method);
        if (!more)
            break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // Made once per process: see Servers.
    static Servers servers;
    if (size == 0)
        return 0;
    const std::span<const uint8_t> requests(data + 1, size - 1);
    serve(data[0] & 1 ? servers.control_api() : servers.vm_api(), requests);
    return 0;
}
