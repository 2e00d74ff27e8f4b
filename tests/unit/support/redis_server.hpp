#pragma once
// Test support: a real redis-server on a free loopback port, one per test.

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace herald::test {

struct RedisServerOptions {
    std::string password;                 // not empty: --requirepass
    std::vector<std::string> extra_args;  // more of redis-server's flags, on every start
};

/// A redis-server child process on 127.0.0.1 and a free port: no persistence, its own temporary
/// directory (log included), DEBUG allowed from loopback. The constructor returns once this very
/// process answers (throws if it cannot start); the destructor stops it and removes the
/// directory. `kill` and `start` take it away and bring it back on the same port.
/// Thread: the test's main thread (the child dies with the thread that started it).
class RedisServer {
public:
    explicit RedisServer(RedisServerOptions options = {}) : options_(std::move(options)) {
        std::random_device random;
        dir_ = std::filesystem::temp_directory_path() /
               ("herald-redis-" + std::to_string(random()) + std::to_string(random()));
        std::filesystem::create_directories(dir_);
        // Redis has no `--port 0`: take a port the kernel calls free, and try another if some
        // other process binds it first (the child then exits, or a different server answers).
        for (int attempt = 0; attempt < 20; ++attempt) {
            port_ = free_port();
            if (launch()) return;
        }
        throw std::runtime_error("redis-server did not start; see " + dir_.string());
    }
    ~RedisServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }

    /// SIGKILL: the server goes without a word to its clients.
    void kill() { end(SIGKILL); }
    /// SIGTERM, then waits for the process.
    void stop() { end(SIGTERM); }
    /// Again on the same port, after `kill` or `stop`.
    void start() {
        if (!launch()) throw std::runtime_error("redis-server did not restart");
    }

private:
    static std::uint16_t free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
            ::close(fd);
            throw std::runtime_error("no free port");
        }
        ::close(fd);
        return ntohs(address.sin_port);
    }

    void end(int signal) {
        if (pid_ <= 0) return;
        ::kill(pid_, signal);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    /// Starts the child on `port_` and waits until it answers, at most 5 s.
    bool launch() {
        std::vector<std::string> args = {
                "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",
                "", "--appendonly", "no", "--dir", dir_.string(), "--daemonize", "no", "--logfile",
                (dir_ / "redis.log").string(), "--enable-debug-command", "local",
                // SIGTERM is acted on in the server's cron: 100 Hz makes a stop take 10 ms.
                "--hz", "100"};
        if (!options_.password.empty()) {
            args.insert(args.end(), {"--requirepass", options_.password});
        }
        args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
        std::vector<char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            // Only async-signal-safe calls here. A crashed test must not leave servers behind.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(1);
            ::execvp("redis-server", argv.data());
            ::execv("/usr/bin/redis-server", argv.data());
            ::_exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited: the port was taken
                pid_ = -1;
                return false;
            }
            if (answers()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll, not a guess
        }
        end(SIGKILL);
        return false;
    }

    /// Whether the server on `port_` is ours and serving: INFO names our child's pid.
    bool answers() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval limit{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port_);
        std::string got;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
            std::string request;
            if (!options_.password.empty()) {
                request += "*2\r\n$4\r\nAUTH\r\n$" + std::to_string(options_.password.size()) +
                           "\r\n" + options_.password + "\r\n";
            }
            request += "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";
            if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(request.size())) {
                char buffer[4096];
                ssize_t n;
                while (got.find("process_id:") == std::string::npos ||
                       got.find("\r\n", got.find("process_id:")) == std::string::npos) {
                    if ((n = ::recv(fd, buffer, sizeof buffer, 0)) <= 0) break;
                    got.append(buffer, static_cast<std::size_t>(n));
                }
            }
        }
        ::close(fd);
        return got.find("process_id:" + std::to_string(pid_) + "\r\n") != std::string::npos;
    }

    RedisServerOptions options_;
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace herald::test
