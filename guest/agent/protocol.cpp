#include "protocol.h"

#include <arpa/inet.h>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/resource.h>
#include <sys/wait.h>

namespace rvisor::agent {

using nlohmann::json;

namespace {

// A request's mistake, thrown inside this file only and turned into a DecodeError.
struct Malformed {
    int error_number;
    std::string message;
};

[[noreturn]] void refuse(std::string message, int error_number = EINVAL)
{
    throw Malformed { error_number, std::move(message) };
}

// The fields of one params object, read by name and type; every field must be read, so a field
// the method does not know is an error rather than silently ignored.
class Params {
public:
    Params(const json& object, std::string_view method)
        : m_object(object)
        , m_method(method)
    {
    }

    const json* find(const char* name)
    {
        m_read.insert(name);
        auto found = m_object.find(name);
        return found == m_object.end() ? nullptr : &*found;
    }

    const json& required(const char* name)
    {
        const json* value = find(name);
        if (!value)
            refuse(where(name) + " is missing");
        return *value;
    }

    std::string string(const char* name) { return to_string(required(name), name); }

    std::optional<std::string> optional_string(const char* name)
    {
        const json* value = find(name);
        if (!value)
            return std::nullopt;
        return to_string(*value, name);
    }

    std::string exec_id()
    {
        std::string id = string("exec_id");
        if (id.empty() || id.size() > kMaxExecIdSize)
            refuse(where("exec_id") + " must have 1 to 256 bytes");
        return id;
    }

    uint64_t unsigned_number(const char* name, uint64_t max)
    {
        return to_unsigned(required(name), name, max);
    }

    uint64_t optional_unsigned(const char* name, uint64_t max, uint64_t fallback)
    {
        const json* value = find(name);
        return value ? to_unsigned(*value, name, max) : fallback;
    }

    bool optional_bool(const char* name)
    {
        const json* value = find(name);
        if (!value)
            return false;
        if (!value->is_boolean())
            refuse(where(name) + " must be true or false");
        return value->get<bool>();
    }

    std::vector<std::string> strings(const char* name, bool is_required)
    {
        const json* value = is_required ? &required(name) : find(name);
        std::vector<std::string> out;
        if (!value)
            return out;
        if (!value->is_array())
            refuse(where(name) + " must be an array of strings");
        for (const json& item : *value)
            out.push_back(to_string(item, name));
        return out;
    }

    std::string absolute_path(const char* name)
    {
        std::string path = string(name);
        if (path.empty() || path[0] != '/')
            refuse(where(name) + " must be an absolute path");
        return path;
    }

    // An array of objects, each read field by field with its own Params.
    template <typename Item, typename ReadItem>
    std::vector<Item> objects(const char* name, ReadItem read_item)
    {
        const json* value = find(name);
        std::vector<Item> out;
        if (!value)
            return out;
        if (!value->is_array())
            refuse(where(name) + " must be an array of objects");
        for (const json& item : *value) {
            if (!item.is_object())
                refuse(where(name) + " must be an array of objects");
            Params fields(item, m_method + "'s " + name + " entry");
            out.push_back(read_item(fields));
            fields.finish();
        }
        return out;
    }

    std::vector<uint32_t> ids(const char* name)
    {
        const json* value = find(name);
        std::vector<uint32_t> out;
        if (!value)
            return out;
        if (!value->is_array())
            refuse(where(name) + " must be an array of numbers");
        for (const json& item : *value)
            out.push_back(static_cast<uint32_t>(to_unsigned(item, name, UINT32_MAX)));
        return out;
    }

    // After every field was read: any other is unknown.
    void finish() const
    {
        for (const auto& [key, _] : m_object.items()) {
            if (!m_read.contains(key))
                refuse(m_method + " has no field \"" + key + "\"");
        }
    }

private:
    std::string where(const char* name) const { return m_method + "'s \"" + name + "\""; }

    std::string to_string(const json& value, const char* name) const
    {
        if (!value.is_string())
            refuse(where(name) + " must be a string");
        std::string text = value.get<std::string>();
        // A NUL would silently cut the string short where it becomes a C string (exec, paths).
        if (text.find('\0') != std::string::npos)
            refuse(where(name) + " must not contain a NUL character");
        return text;
    }

    uint64_t to_unsigned(const json& value, const char* name, uint64_t max) const
    {
        if (!value.is_number_unsigned() || value.get<uint64_t>() > max)
            refuse(where(name) + " must be a whole number from 0 to " + std::to_string(max));
        return value.get<uint64_t>();
    }

    const json& m_object;
    std::string m_method;
    std::set<std::string, std::less<>> m_read;
};

StdioStream parse_stream(const std::string& name)
{
    if (name == "stdin")
        return StdioStream::Stdin;
    if (name == "stdout")
        return StdioStream::Stdout;
    if (name == "stderr")
        return StdioStream::Stderr;
    refuse("OpenStdio's \"stream\" must be \"stdin\", \"stdout\" or \"stderr\"");
}

ResourceLimit parse_resource_limit(Params& fields)
{
    ResourceLimit limit;
    std::string type = fields.string("type");
    auto resource = resource_limit_from_name(type);
    if (!resource)
        refuse(
            "CreateProcess's rlimits entry's \"type\" \"" + type + "\" is no RLIMIT_* Linux has");
    limit.resource = *resource;
    limit.soft = fields.unsigned_number("soft", UINT64_MAX);
    limit.hard = fields.unsigned_number("hard", UINT64_MAX);
    if (limit.soft > limit.hard)
        refuse(
            "CreateProcess's rlimits entry for " + type + " has a soft limit above its hard one");
    return limit;
}

std::vector<ResourceLimit> parse_resource_limits(Params& params)
{
    auto limits = params.objects<ResourceLimit>("rlimits", parse_resource_limit);
    std::set<int> seen;
    for (const ResourceLimit& limit : limits) {
        if (!seen.insert(limit.resource).second)
            refuse("CreateProcess's \"rlimits\" names "
                + std::string(resource_limit_name(limit.resource)) + " twice");
    }
    return limits;
}

Mount parse_mount(Params& params)
{
    Mount call;
    call.source = params.string("source");
    call.target = params.absolute_path("target");
    call.fstype = params.string("fstype");
    call.options = params.strings("options", false);
    return call;
}

WriteFile parse_write_file(Params& params)
{
    WriteFile call;
    call.path = params.absolute_path("path");
    call.mode = static_cast<uint32_t>(params.optional_unsigned("mode", 07777, kDefaultFileMode));
    auto content = decode_base64(params.string("content"));
    if (!content || content->size() > kMaxWriteFileSize)
        refuse("WriteFile's \"content\" must be base64 of at most 512 KiB");
    call.content = std::move(*content);
    return call;
}

std::string ipv4_address(Params& params, const char* name)
{
    std::string text = params.string(name);
    in_addr address {};
    if (inet_pton(AF_INET, text.c_str(), &address) != 1)
        refuse("ConfigureNetwork's \"" + std::string(name) + "\" must be a dotted IPv4 address");
    return text;
}

ConfigureNetwork parse_configure_network(Params& params)
{
    ConfigureNetwork call;
    call.interface = params.string("interface");
    if (call.interface.empty() || call.interface.size() > kMaxInterfaceNameSize
        || call.interface.find('/') != std::string::npos)
        refuse("ConfigureNetwork's \"interface\" must be a name of 1 to 15 bytes");
    call.address = ipv4_address(params, "address");
    call.prefix_length = static_cast<uint32_t>(params.unsigned_number("prefix_length", 32));
    if (params.find("gateway"))
        call.gateway = ipv4_address(params, "gateway");
    return call;
}

Call parse_call(const std::string& method, Params& params)
{
    if (method == "Ping")
        return Ping {};
    if (method == "CreateProcess") {
        CreateProcess call;
        call.exec_id = params.exec_id();
        call.args = params.strings("args", true);
        if (call.args.empty() || call.args[0].empty())
            refuse("CreateProcess's \"args\" must name a program");
        call.env = params.strings("env", false);
        call.cwd = params.optional_string("cwd").value_or("/");
        if (call.cwd.empty() || call.cwd[0] != '/')
            refuse("CreateProcess's \"cwd\" must be an absolute path");
        call.uid = static_cast<uint32_t>(params.optional_unsigned("uid", UINT32_MAX - 1, 0));
        call.gid = static_cast<uint32_t>(params.optional_unsigned("gid", UINT32_MAX - 1, 0));
        call.additional_gids = params.ids("additional_gids");
        call.terminal = params.optional_bool("terminal");
        call.console_output = params.optional_bool("console_output");
        if (call.terminal && call.console_output)
            refuse("CreateProcess's \"terminal\" and \"console_output\" exclude each other");
        call.rootfs = params.optional_string("rootfs");
        if (call.rootfs && (call.rootfs->empty() || (*call.rootfs)[0] != '/'))
            refuse("CreateProcess's \"rootfs\" must be an absolute path");
        call.rlimits = parse_resource_limits(params);
        call.no_new_privileges = params.optional_bool("no_new_privileges");
        call.umask = static_cast<uint32_t>(params.optional_unsigned("umask", 0777, kDefaultUmask));
        return call;
    }
    if (method == "OpenStdio")
        return OpenStdio { params.exec_id(), parse_stream(params.string("stream")) };
    if (method == "StartProcess")
        return StartProcess { params.exec_id() };
    if (method == "WaitProcess")
        return WaitProcess { params.exec_id() };
    if (method == "SignalProcess") {
        SignalProcess call;
        call.exec_id = params.exec_id();
        call.signal = static_cast<int>(params.unsigned_number("signal", 64));
        if (call.signal == 0)
            refuse("SignalProcess's \"signal\" must be from 1 to 64");
        call.all = params.optional_bool("all");
        return call;
    }
    if (method == "CloseStdin")
        return CloseStdin { params.exec_id() };
    if (method == "TtyWinResize") {
        TtyWinResize call;
        call.exec_id = params.exec_id();
        call.rows = static_cast<uint16_t>(params.unsigned_number("rows", UINT16_MAX));
        call.cols = static_cast<uint16_t>(params.unsigned_number("cols", UINT16_MAX));
        return call;
    }
    if (method == "ListProcesses")
        return ListProcesses {};
    if (method == "Refresh") {
        Refresh call;
        call.realtime_ns = params.unsigned_number("realtime_ns", INT64_MAX);
        auto entropy = decode_base64(params.string("entropy"));
        if (!entropy || entropy->size() < kMinEntropySize || entropy->size() > kMaxEntropySize)
            refuse("Refresh's \"entropy\" must be base64 of 32 to 4096 bytes");
        call.entropy = std::move(*entropy);
        return call;
    }
    if (method == "Mount")
        return parse_mount(params);
    if (method == "WriteFile")
        return parse_write_file(params);
    if (method == "Symlink") {
        Symlink call;
        call.target = params.string("target");
        call.path = params.absolute_path("path");
        if (call.target.empty() || call.target.size() > kMaxSymlinkTarget
            || call.target.find('\0') != std::string::npos)
            refuse("Symlink's \"target\" must be a path of 1 to 4095 bytes");
        return call;
    }
    if (method == "SetHostname") {
        SetHostname call { params.string("hostname") };
        if (call.hostname.empty() || call.hostname.size() > kMaxHostnameSize)
            refuse("SetHostname's \"hostname\" must have 1 to 64 bytes");
        return call;
    }
    if (method == "PowerOff")
        return PowerOff {};
    if (method == "ConfigureNetwork")
        return parse_configure_network(params);
    if (method == "ListListeners")
        return ListListeners {};
    refuse("there is no method \"" + method + "\"", ENOSYS);
}

json params_json(const Call& call)
{
    return std::visit(
        [](const auto& c) -> json {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, CreateProcess>) {
                json out = { { "exec_id", c.exec_id }, { "args", c.args }, { "env", c.env },
                    { "cwd", c.cwd }, { "uid", c.uid }, { "gid", c.gid },
                    { "additional_gids", c.additional_gids }, { "terminal", c.terminal } };
                if (c.console_output)
                    out["console_output"] = true;
                if (c.rootfs)
                    out["rootfs"] = *c.rootfs;
                json limits = json::array();
                for (const ResourceLimit& limit : c.rlimits)
                    limits.push_back({ { "type", resource_limit_name(limit.resource) },
                        { "soft", limit.soft }, { "hard", limit.hard } });
                out["rlimits"] = limits;
                out["no_new_privileges"] = c.no_new_privileges;
                out["umask"] = c.umask;
                return out;
            } else if constexpr (std::is_same_v<T, OpenStdio>) {
                return { { "exec_id", c.exec_id }, { "stream", stream_name(c.stream) } };
            } else if constexpr (
                std::is_same_v<T,
                    StartProcess> || std::is_same_v<T, WaitProcess> || std::is_same_v<T, CloseStdin>) {
                return { { "exec_id", c.exec_id } };
            } else if constexpr (std::is_same_v<T, SignalProcess>) {
                return { { "exec_id", c.exec_id }, { "signal", c.signal }, { "all", c.all } };
            } else if constexpr (std::is_same_v<T, TtyWinResize>) {
                return { { "exec_id", c.exec_id }, { "rows", c.rows }, { "cols", c.cols } };
            } else if constexpr (std::is_same_v<T, Refresh>) {
                return { { "realtime_ns", c.realtime_ns },
                    { "entropy", encode_base64(c.entropy) } };
            } else if constexpr (std::is_same_v<T, Mount>) {
                return { { "source", c.source }, { "target", c.target }, { "fstype", c.fstype },
                    { "options", c.options } };
            } else if constexpr (std::is_same_v<T, WriteFile>) {
                return { { "path", c.path }, { "mode", c.mode },
                    { "content", encode_base64(c.content) } };
            } else if constexpr (std::is_same_v<T, Symlink>) {
                return { { "target", c.target }, { "path", c.path } };
            } else if constexpr (std::is_same_v<T, SetHostname>) {
                return { { "hostname", c.hostname } };
            } else if constexpr (std::is_same_v<T, ConfigureNetwork>) {
                json out = { { "interface", c.interface }, { "address", c.address },
                    { "prefix_length", c.prefix_length } };
                if (c.gateway)
                    out["gateway"] = *c.gateway;
                return out;
            } else {
                return json::object();
            }
        },
        call);
}

json result_json(const Result& result)
{
    return std::visit(
        [](const auto& r) -> json {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, PingResult>) {
                return { { "version", r.version } };
            } else if constexpr (std::is_same_v<T, ExitStatus>) {
                return { { "exit_status", r.exit_status },
                    { "exit_code", r.exit_code ? json(*r.exit_code) : json(nullptr) },
                    { "signal", r.signal ? json(*r.signal) : json(nullptr) } };
            } else if constexpr (std::is_same_v<T, ProcessList>) {
                json list = json::array();
                for (const ProcessInfo& p : r.processes)
                    list.push_back(
                        { { "exec_id", p.exec_id }, { "pid", p.pid }, { "running", p.running } });
                return { { "processes", list } };
            } else if constexpr (std::is_same_v<T, ListenerList>) {
                json list = json::array();
                for (const TcpListener& l : r.listeners)
                    list.push_back({ { "address", l.address }, { "port", l.port } });
                return { { "listeners", list } };
            } else {
                return json::object();
            }
        },
        result);
}

// Text a process or a path put in a message may be any bytes: replace what is not UTF-8.
std::string dump(const json& value)
{
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string_view method_name(const Call& call)
{
    static constexpr std::string_view names[]
        = { "Ping", "CreateProcess", "OpenStdio", "StartProcess", "WaitProcess", "SignalProcess",
              "CloseStdin", "TtyWinResize", "ListProcesses", "Refresh", "Mount", "WriteFile",
              "Symlink", "SetHostname", "PowerOff", "ConfigureNetwork", "ListListeners" };
    static_assert(std::size(names) == std::variant_size_v<Call>);
    return names[call.index()];
}

std::string_view stream_name(StdioStream stream)
{
    switch (stream) {
    case StdioStream::Stdin: return "stdin";
    case StdioStream::Stdout: return "stdout";
    case StdioStream::Stderr: return "stderr";
    }
    return "stdout";
}

namespace {

struct ResourceLimitName {
    std::string_view name;
    int resource;
};

// Every limit Linux has (RLIM_NLIMITS of them), by the names OCI's config.json uses.
constexpr ResourceLimitName kResourceLimitNames[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_STACK", RLIMIT_STACK },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};
static_assert(std::size(kResourceLimitNames) == RLIM_NLIMITS);

} // namespace

std::string_view resource_limit_name(int resource)
{
    for (const ResourceLimitName& entry : kResourceLimitNames) {
        if (entry.resource == resource)
            return entry.name;
    }
    return "RLIMIT_UNKNOWN";
}

std::optional<int> resource_limit_from_name(std::string_view name)
{
    for (const ResourceLimitName& entry : kResourceLimitNames) {
        if (entry.name == name)
            return entry.resource;
    }
    return std::nullopt;
}

DecodedRequest decode_request(std::string_view text)
{
    json message = json::parse(text, nullptr, false);
    if (message.is_discarded())
        return DecodeError { std::nullopt, EINVAL, "the frame is not JSON (or not UTF-8)" };
    if (!message.is_object())
        return DecodeError { std::nullopt, EINVAL, "the frame is not a JSON object" };
    std::optional<uint64_t> id;
    auto id_field = message.find("id");
    if (id_field != message.end() && id_field->is_number_unsigned())
        id = id_field->get<uint64_t>();
    try {
        if (!id)
            refuse("the request has no \"id\" that is a whole number");
        for (const auto& [key, _] : message.items()) {
            if (key != "id" && key != "method" && key != "params")
                refuse("a request has no field \"" + key + "\"");
        }
        auto method = message.find("method");
        if (method == message.end() || !method->is_string())
            refuse("the request has no \"method\" string");
        const json empty = json::object();
        auto params_field = message.find("params");
        const json& params_object = params_field == message.end() ? empty : *params_field;
        if (!params_object.is_object())
            refuse("the request's \"params\" is not an object");
        std::string name = method->get<std::string>();
        Params params(params_object, name);
        Call call = parse_call(name, params);
        params.finish();
        return Request { *id, std::move(call) };
    } catch (const Malformed& malformed) {
        return DecodeError { id, malformed.error_number, malformed.message };
    }
}

std::string encode_request(const Request& request)
{
    json message = { { "id", request.id }, { "method", method_name(request.call) },
        { "params", params_json(request.call) } };
    return dump(message);
}

std::string encode_result(uint64_t id, const Result& result)
{
    return dump({ { "id", id }, { "result", result_json(result) } });
}

std::string encode_error(std::optional<uint64_t> id, const CallError& error)
{
    json message = { { "id", id ? json(*id) : json(nullptr) },
        { "error", { { "errno", error.error_number }, { "message", error.message } } } };
    return dump(message);
}

std::string frame(std::string_view payload)
{
    auto size = static_cast<uint32_t>(payload.size());
    std::string out;
    out.reserve(kFrameHeaderSize + payload.size());
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((size >> shift) & 0xff));
    out.append(payload);
    return out;
}

uint32_t frame_length(const uint8_t (&header)[kFrameHeaderSize])
{
    return (uint32_t(header[0]) << 24) | (uint32_t(header[1]) << 16) | (uint32_t(header[2]) << 8)
        | uint32_t(header[3]);
}

ExitStatus exit_status_from_wait_status(int wait_status)
{
    ExitStatus status;
    if (WIFSIGNALED(wait_status)) {
        status.signal = WTERMSIG(wait_status);
        status.exit_status = 128 + *status.signal;
    } else {
        status.exit_code = WEXITSTATUS(wait_status);
        status.exit_status = *status.exit_code;
    }
    return status;
}

namespace {
constexpr std::string_view kBase64Alphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::optional<std::vector<uint8_t>> decode_base64(std::string_view text)
{
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (size_t at = 0; at < text.size(); at += 4) {
        // Padding only ends the last group: "xx==" or "xxx=".
        int padding = 0;
        if (at + 4 == text.size() && text[at + 3] == '=')
            padding = text[at + 2] == '=' ? 2 : 1;
        uint32_t group = 0;
        for (size_t i = 0; i < 4; ++i) {
            size_t value = 0;
            if (i < 4 - static_cast<size_t>(padding)) {
                value = kBase64Alphabet.find(text[at + i]);
                if (value == std::string_view::npos)
                    return std::nullopt;
            }
            group = (group << 6) | static_cast<uint32_t>(value);
        }
        out.push_back(static_cast<uint8_t>(group >> 16));
        if (padding < 2)
            out.push_back(static_cast<uint8_t>(group >> 8));
        if (padding < 1)
            out.push_back(static_cast<uint8_t>(group));
    }
    return out;
}

std::string encode_base64(const std::vector<uint8_t>& bytes)
{
    std::string out;
    for (size_t at = 0; at < bytes.size(); at += 3) {
        size_t left = bytes.size() - at;
        uint32_t group = uint32_t(bytes[at]) << 16;
        if (left > 1)
            group |= uint32_t(bytes[at + 1]) << 8;
        if (left > 2)
            group |= bytes[at + 2];
        out.push_back(kBase64Alphabet[(group >> 18) & 63]);
        out.push_back(kBase64Alphabet[(group >> 12) & 63]);
        out.push_back(left > 1 ? kBase64Alphabet[(group >> 6) & 63] : '=');
        out.push_back(left > 2 ? kBase64Alphabet[group & 63] : '=');
    }
    return out;
}

} // namespace rvisor::agent
