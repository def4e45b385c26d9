#include "oci/cli.h"

#include "host/one_line.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rvisor::oci {

std::optional<std::string> container_id_of(const Command& command)
{
    return std::visit(
        [](const auto& parsed) -> std::optional<std::string> {
            if constexpr (requires { parsed.id; })
                return parsed.id;
            else if constexpr (requires { parsed.create.id; })
                return parsed.create.id;
            else
                return std::nullopt;
        },
        command);
}

namespace {

// The flags `create` and `run` share, as runc has them, held as text until the command is known.
class CreateFlags {
public:
    void add_to(CLI::App& command, std::string& id)
    {
        command.add_option("-b,--bundle", m_bundle, "the bundle directory (default .)");
        command.add_option("--pid-file", m_pid_file, "write the container's pid here");
        command.add_option(
            "--console-socket", m_console_socket, "send the terminal's pty master to this socket");
        // runc's flags that mean nothing for a VM.
        command.add_flag("--no-pivot,--no-new-keyring", m_ignored, "accepted, ignored");
        command.add_option("--preserve-fds", m_ignored_text, "accepted, ignored");
        command.add_option("ID", id, "the container")->required();
    }

    void apply(CreateCommand& create) const
    {
        create.bundle = m_bundle;
        if (!m_pid_file.empty())
            create.pid_file = m_pid_file;
        if (!m_console_socket.empty())
            create.console_socket = m_console_socket;
    }

private:
    std::string m_bundle = ".", m_pid_file, m_console_socket;
    bool m_ignored = false;
    std::string m_ignored_text;
};

} // namespace

std::variant<Invocation, int> parse_command_line(int argc, char** argv)
{
    CLI::App app { "rvisor-oci: an OCI runtime that runs each container in an rvisor VM "
                   "(docs/containers.md)",
        "rvisor-oci" };
    // A word that is no command is reported by name, not as a missing command.
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", "rvisor-oci 0.1 (OCI runtime spec 1.0.2)");
    Invocation invocation;
    GlobalOptions& global = invocation.global;
    std::string root = global.root.string(), log, log_format = "text";
    app.add_option("--root", root, "where container state is kept (default /run/rvisor-oci)");
    app.add_option("--log", log, "also write errors to this file");
    app.add_option("--log-format", log_format, "text or json")
        ->check(CLI::IsMember({ "text", "json" }));
    // Flags engines pass to every runc-compatible runtime; they change nothing here.
    bool ignored = false;
    app.add_flag("--systemd-cgroup", ignored, "accepted for runc compatibility");
    app.add_flag("--debug", ignored, "accepted for runc compatibility");
    std::string ignored_text;
    app.add_option("--rootless", ignored_text, "accepted for runc compatibility");
    app.add_option("--criu", ignored_text, "accepted for runc compatibility");

    CreateCommand create;
    CreateFlags create_flags;
    auto* create_command = app.add_subcommand("create", "create a container (its VM boots)");
    create_flags.add_to(*create_command, create.id);

    RunCommand run;
    CreateFlags run_flags;
    auto* run_command = app.add_subcommand(
        "run", "create and start a container, wait for its process and delete it");
    run_flags.add_to(*run_command, run.create.id);
    run_command->add_flag("-d,--detach", run.detach, "return once the process runs");
    run_command->add_flag("--keep", run.keep, "do not delete the container when it exits");
    run_command->add_flag("--no-subreaper", ignored, "accepted, ignored");

    StartCommand start;
    auto* start_command = app.add_subcommand("start", "start a created container's process");
    start_command->add_option("ID", start.id, "the container")->required();

    KillCommand kill;
    auto* kill_command = app.add_subcommand("kill", "send a signal to the container's process");
    kill_command->add_flag("-a,--all", kill.all, "to every process of the container");
    kill_command->add_option("ID", kill.id, "the container")->required();
    kill_command->add_option("SIGNAL", kill.signal, "a name (TERM, SIGKILL) or number");

    ExecCommand exec;
    std::string process_file, exec_pid_file, exec_console_socket;
    auto* exec_command = app.add_subcommand("exec", "run another process in the container");
    exec_command->add_option("-p,--process", process_file, "the process, as config.json's");
    exec_command->add_flag("-d,--detach", exec.detach, "return once it runs");
    exec_command->add_flag("-t,--tty", exec.tty, "give it a terminal (with --console-socket)");
    exec_command->add_option("--cwd", exec.cwd, "its working directory");
    exec_command->add_option("-e,--env", exec.env, "NAME=VALUE; repeat");
    exec_command->add_option("-u,--user", exec.user, "UID[:GID]");
    exec_command->add_option("--pid-file", exec_pid_file, "write its waiter's pid here");
    exec_command->add_option(
        "--console-socket", exec_console_socket, "send the terminal's pty master to this socket");
    std::vector<std::string> ignored_texts;
    exec_command->add_option(
        "--preserve-fds,--process-label,--apparmor,--cap", ignored_texts, "accepted, ignored");
    exec_command->add_flag("--no-new-privs", ignored, "accepted, ignored");
    exec_command->add_option("ID", exec.id, "the container")->required();
    // As runc: everything after the id is the command and its arguments, options included.
    exec_command->prefix_command();

    PauseCommand pause;
    auto* pause_command = app.add_subcommand("pause", "pause the container's VM");
    pause_command->add_option("ID", pause.id, "the container")->required();
    PauseCommand resume { {}, false };
    auto* resume_command = app.add_subcommand("resume", "resume a paused container's VM");
    resume_command->add_option("ID", resume.id, "the container")->required();

    PsCommand ps;
    std::string ps_format = "table";
    auto* ps_command = app.add_subcommand("ps", "list the container's processes");
    ps_command->add_option("-f,--format", ps_format, "table or json")
        ->check(CLI::IsMember({ "table", "json" }));
    ps_command->add_option("ID", ps.id, "the container")->required();
    // runc passes what follows the id to ps(1); the guest's processes are listed by the agent.
    std::vector<std::string> ps_options;
    ps_command->add_option("PS_OPTIONS", ps_options, "accepted, ignored");

    UpdateCommand update;
    std::string resources_file;
    auto* update_command
        = app.add_subcommand("update", "change a container's memory limit and CPU shares");
    update_command->add_option("-r,--resources", resources_file,
        "a linux.resources object as in config.json, from this file or - for stdin");
    update_command->add_option(
        "--memory", update.memory, "memory limit: bytes, or with k, m or g; -1 for none");
    update_command->add_option("--cpu-share", update.cpu_shares, "CPU shares (1024 a default)");
    update_command->add_option("--cpu-quota", update.cpu_quota, "microseconds per period");
    update_command->add_option("--cpu-period", update.cpu_period, "the period, microseconds");
    update_command->add_option("--cpuset-cpus", update.cpuset_cpus, "cpus such as 0-3,6");
    // runc's other limits: accepted, and reported as not honoured.
    for (const char* name : { "blkio-weight", "cpu-rt-period", "cpu-rt-runtime", "cpuset-mems",
             "kernel-memory", "kernel-memory-tcp", "memory-reservation", "memory-swap",
             "pids-limit", "l3-cache-schema", "mem-bw-schema" })
        update_command->add_option_function<std::string>(
            std::string("--") + name,
            [&update, name](const std::string&) { update.unhonoured.push_back(name); },
            "accepted, not honoured");
    update_command->add_option("ID", update.id, "the container")->required();

    EventsCommand events;
    auto* events_command = app.add_subcommand(
        "events", "print the container's statistics as JSON, every interval until it stops");
    events_command->add_flag("--stats", events.stats, "print them once");
    events_command->add_option("--interval", events.interval, "how often, e.g. 5s (default)");
    events_command->add_option("ID", events.id, "the container")->required();

    StateCommand state;
    auto* state_command = app.add_subcommand("state", "print a container's state as OCI JSON");
    state_command->add_option("ID", state.id, "the container")->required();

    DeleteCommand remove;
    auto* delete_command = app.add_subcommand("delete", "delete a stopped container");
    delete_command->add_flag("-f,--force", remove.force, "stop the container first if it runs");
    delete_command->add_option("ID", remove.id, "the container")->required();

    ListCommand list;
    std::string list_format = "table";
    auto* list_command = app.add_subcommand("list", "list the containers");
    list_command->add_option("-f,--format", list_format, "table or json")
        ->check(CLI::IsMember({ "table", "json" }));
    list_command->add_flag("-q,--quiet", list.quiet, "print the ids only");

    auto* features_command
        = app.add_subcommand("features", "print what this runtime supports as JSON");

    // After the commands are added, so that they do not inherit it: their extras are mistakes.
    app.allow_extras();
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        fmt::print("{}", app.help());
        return 0;
    } catch (const CLI::CallForVersion&) {
        fmt::print("rvisor-oci 0.1\nspec: 1.0.2\n");
        return 0;
    } catch (const CLI::ParseError& error) {
        fmt::print(stderr, "rvisor-oci: error: {}\n", host::one_line(error.what()));
        return 1;
    }
    if (app.get_subcommands().empty()) {
        std::vector<std::string> names;
        for (const CLI::App* command : app.get_subcommands({}))
            names.push_back(command->get_name());
        const auto extras = app.remaining();
        fmt::print(stderr, "rvisor-oci: error: {}; the commands are {}\n",
            extras.empty() ? std::string("no command given")
                           : fmt::format("unknown command '{}'", host::one_line(extras.front())),
            fmt::join(names, ", "));
        return 1;
    }
    if (!app.remaining().empty()) {
        fmt::print(stderr, "rvisor-oci: error: unexpected argument '{}'\n",
            host::one_line(app.remaining().front()));
        return 1;
    }
    global.root = root;
    if (!log.empty())
        global.log = log;
    global.log_format = log_format == "json" ? LogFormat::Json : LogFormat::Text;
    if (*create_command) {
        create_flags.apply(create);
        invocation.command = create;
    } else if (*run_command) {
        run_flags.apply(run.create);
        invocation.command = run;
    } else if (*start_command)
        invocation.command = start;
    else if (*kill_command)
        invocation.command = kill;
    else if (*exec_command) {
        exec.args = exec_command->remaining();
        if (!process_file.empty())
            exec.process_file = process_file;
        if (!exec_pid_file.empty())
            exec.pid_file = exec_pid_file;
        if (!exec_console_socket.empty())
            exec.console_socket = exec_console_socket;
        invocation.command = exec;
    } else if (*pause_command)
        invocation.command = pause;
    else if (*resume_command)
        invocation.command = resume;
    else if (*ps_command) {
        ps.json = ps_format == "json";
        invocation.command = ps;
    } else if (*update_command) {
        if (!resources_file.empty())
            update.resources_file = resources_file;
        invocation.command = update;
    } else if (*events_command)
        invocation.command = events;
    else if (*state_command)
        invocation.command = state;
    else if (*delete_command)
        invocation.command = remove;
    else if (*list_command) {
        list.json = list_format == "json";
        invocation.command = list;
    } else if (*features_command)
        invocation.command = FeaturesCommand {};
    return invocation;
}

} // namespace rvisor::oci
