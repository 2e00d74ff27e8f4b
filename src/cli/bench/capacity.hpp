#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <sys/types.h>

#include "cli/bench/stats.hpp"

namespace herald::cli::bench {

/// `throughput`: publishers send as fast as the server accepts, a bounded count in all.
struct ThroughputOptions {
    std::string url;
    std::size_t connections = 64;
    std::uint64_t messages = 100'000;
    std::size_t channels = 64;
    unsigned threads = 2;
    std::optional<pid_t> server_pid;
};

struct ThroughputResult {
    std::uint64_t accepted = 0;  // answered 201
    std::uint64_t failed = 0;
    double seconds = 0;
    LatencySamples latency;  // request to answer, microseconds
    Traffic traffic;
    std::optional<double> server_cpu_seconds;
};

ThroughputResult run_throughput(const ThroughputOptions& options);

/// `idle`: C connections held open doing nothing (a held long poll, an idle keep-alive
/// connection after one short poll, or an SSE or NDJSON stream of a channel nobody publishes
/// to, once its response headers arrived); the server's memory per connection. A tenth as many
/// are opened first and held, untimed: the growth measured is per added connection, without the
/// server's one-time costs of a first client (thread arenas, storage readers, caches).
struct IdleOptions {
    std::string url;
    std::string target = "herald";       // herald | nchan
    std::string transport = "longpoll";  // poll | longpoll | sse | stream | ws
    std::size_t connections = 1000;
    unsigned threads = 2;
    std::optional<pid_t> server_pid;
};

struct IdleResult {
    std::string target;
    std::string transport;
    std::size_t connections = 0;
    std::size_t established = 0;
    std::optional<long long> rss_before;
    std::optional<long long> rss_after;
};

IdleResult run_idle(const IdleOptions& options);

}  // namespace herald::cli::bench
