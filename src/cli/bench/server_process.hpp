#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace herald::cli::bench {

/// A `herald serve` the load generator started itself: this same binary, a free loopback port,
/// a temporary data directory. Stopped (SIGTERM, then SIGKILL) and cleaned up on destruction.
class ServerProcess {
public:
    /// Throws std::runtime_error when the server does not come up within 10 s.
    explicit ServerProcess(const std::vector<std::string>& extra_args);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    const std::string& url() const { return url_; }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    std::string directory_;
    std::string url_;
};

/// CPU seconds (user + system) of a process and its children (nginx workers), from /proc;
/// nothing when it cannot be read.
std::optional<double> process_cpu_seconds(pid_t pid);

/// TCP segments this host (its network namespace) has sent, from /proc/net/snmp. Over
/// loopback a segment is sent once and received once: both directions count, ACKs included.
std::optional<std::uint64_t> tcp_out_segments();

/// Resident memory (VmRSS) of a process and its children, in bytes, from /proc.
std::optional<long long> process_rss_bytes(pid_t pid);

}  // namespace herald::cli::bench
