#include "oci/process_tree.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace rvisor::oci {

namespace {

std::vector<pid_t> tasks_of(pid_t pid)
{
    std::vector<pid_t> tasks;
    std::error_code error;
    for (std::filesystem::directory_iterator entry(fmt::format("/proc/{}/task", pid), error), end;
         !error && entry != end; entry.increment(error))
        tasks.push_back(static_cast<pid_t>(std::stol(entry->path().filename().string())));
    return tasks;
}

} // namespace

std::vector<pid_t> process_tree(pid_t root)
{
    std::vector<pid_t> processes;
    if (tasks_of(root).empty())
        return processes;
    processes.push_back(root);
    for (size_t next = 0; next < processes.size(); ++next)
        for (const pid_t task : tasks_of(processes[next])) {
            std::ifstream children(fmt::format("/proc/{}/task/{}/children", processes[next], task));
            pid_t child = 0;
            while (children >> child)
                processes.push_back(child);
        }
    return processes;
}

std::vector<pid_t> threads_of(const std::vector<pid_t>& processes)
{
    std::vector<pid_t> threads;
    for (const pid_t process : processes) {
        const std::vector<pid_t> tasks = tasks_of(process);
        threads.insert(threads.end(), tasks.begin(), tasks.end());
    }
    return threads;
}

} // namespace rvisor::oci
