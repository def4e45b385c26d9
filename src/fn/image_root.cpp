#include "fn/image_root.h"

#include "api/vm_control.h"
#include "host/unique_fd.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace rvisor::fn {

namespace {

struct Outcome {
    int status = -1;
    std::string output;
    std::string errors;
};

std::string read_to_end(int fd)
{
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t count = ::read(fd, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            return text;
        text.append(buffer, static_cast<size_t>(count));
    }
}

// Runs `podman ARGS…` to its end. Its stderr (warnings, or why it failed) is small enough to
// wait in its pipe while stdout is read.
Outcome run_podman(const std::vector<std::string>& args)
{
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw api::ApiError(500, fmt::format("pipe: {}", std::strerror(errno)));
    host::UniqueFd out_reader(out[0]), out_writer(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0)
        throw api::ApiError(500, fmt::format("pipe: {}", std::strerror(errno)));
    host::UniqueFd err_reader(err[0]), err_writer(err[1]);
    std::vector<std::string> command { "podman" };
    command.insert(command.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : command)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_writer.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_writer.get(), STDERR_FILENO);
    pid_t pid = 0;
    const int error = ::posix_spawnp(&pid, "podman", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    out_writer.reset();
    err_writer.reset();
    if (error != 0)
        throw api::ApiError(
            400, fmt::format("Deploying from an image needs podman: {}", std::strerror(error)));
    Outcome outcome;
    outcome.output = read_to_end(out_reader.get());
    outcome.errors = read_to_end(err_reader.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

std::string trimmed(std::string text)
{
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    return text;
}

} // namespace

std::filesystem::path mount_image(const std::string& image)
{
    const Outcome outcome = run_podman({ "image", "mount", image });
    const std::string output = trimmed(outcome.output);
    if (outcome.status != 0 || output.find('\n') != std::string::npos || !output.starts_with('/')) {
        const std::string errors = trimmed(outcome.errors);
        throw api::ApiError(400,
            fmt::format("The image \"{}\" cannot be mounted: {}", image,
                errors.empty() ? "podman image mount failed" : errors));
    }
    return output;
}

void unmount_image(const std::string& image) { run_podman({ "image", "unmount", image }); }

} // namespace rvisor::fn
