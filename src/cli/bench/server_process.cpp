#include "cli/bench/server_process.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace herald::cli::bench {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& extra_args) {
    char pattern[] = "/tmp/herald-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
    directory_ = pattern;
    const std::string log = directory_ + "/server.log";
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    // Every load client connects from 127.0.0.1: no per-address connection bound.
    std::vector<std::string> args = {self,
                                     "serve",
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--data",
                                     directory_ + "/data",
                                     "--limits-max-connections-per-ip",
                                     "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());

    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("cannot start herald serve: fork failed");
    if (pid_ == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        execv(self.c_str(), argv.data());
        _exit(127);
    }
    const std::regex listening("listening on (http://[0-9.]+:[0-9]+)");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch match;
        const std::string text = read_file(log);
        if (std::regex_search(text, match, listening)) {
            url_ = match[1];
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("herald serve exited: " + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("herald serve did not start within 10 s: " + read_file(log));
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 500 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (waitpid(pid_, &status, WNOHANG) == 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

namespace {

/// The process and its children (nginx's workers, say).
std::vector<pid_t> process_tree(pid_t pid) {
    std::vector<pid_t> pids{pid};
    std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                           "/children");
    pid_t child = 0;
    while (children >> child)
        pids.push_back(child);
    return pids;
}

std::optional<double> own_cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return std::nullopt;
    // Fields after the command name, which may hold spaces: state is field 3, utime 14.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 13 && fields >> field; ++i) {
    }
    unsigned long long user = 0, system = 0;
    if (!(fields >> user >> system)) return std::nullopt;
    return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<long long> own_rss_bytes(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
    }
    return std::nullopt;
}

}  // namespace

std::optional<double> process_cpu_seconds(pid_t pid) {
    std::optional<double> total;
    for (pid_t each : process_tree(pid)) {
        if (auto seconds = own_cpu_seconds(each)) total = total.value_or(0) + *seconds;
    }
    return total;
}

std::optional<long long> process_rss_bytes(pid_t pid) {
    std::optional<long long> total;
    for (pid_t each : process_tree(pid)) {
        if (auto bytes = own_rss_bytes(each)) total = total.value_or(0) + *bytes;
    }
    return total;
}

std::optional<std::uint64_t> tcp_out_segments() {
    // Two "Tcp:" lines: the field names, then the values in the same order.
    std::ifstream snmp("/proc/net/snmp");
    std::string names;
    std::string values;
    std::string line;
    while (std::getline(snmp, line)) {
        if (!line.starts_with("Tcp:")) continue;
        (names.empty() ? names : values) = line;
    }
    std::istringstream name_words(names);
    std::istringstream value_words(values);
    std::string name;
    std::string value;
    while (name_words >> name && value_words >> value) {
        if (name == "OutSegs") return std::stoull(value);
    }
    return std::nullopt;
}

}  // namespace herald::cli::bench
