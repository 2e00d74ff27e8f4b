#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/bench/stats.hpp"

namespace herald::cli::bench {

/// One fan-out run: S subscribers of one channel over one transport, a publisher sending R
/// messages a second for T seconds (or, with R = 0, as fast as the server accepts them and
/// every subscriber keeps up), each message carrying its send time.
struct FanoutOptions {
    std::string url = "http://127.0.0.1:8080";
    std::string target = "herald";       // herald | nchan (bench/nchan/nginx.conf.template)
    std::string transport = "longpoll";  // poll | longpoll | sse | stream | ws
    std::size_t subscribers = 100;
    double rate = 50;  // messages per second; 0: as fast as accepted (see PublisherOptions)
    double seconds = 5;
    double poll_interval = 1.0;  // poll: seconds between requests of one subscriber
    unsigned threads = 2;
    std::size_t window = 16;          // publishes in flight at most (PublisherOptions)
    std::uint64_t max_backlog = 256;  // rate 0: how far the slowest subscriber may lag
    /// Subscribers per process: one process may hold about 19,000 sockets here, so past this
    /// the run forks worker processes.
    std::size_t per_process = 15'000;
    std::optional<int> server_pid;  // for server CPU from /proc
    std::string channel;            // default: a fresh one per run
};

struct FanoutResult {
    std::string target;
    std::string transport;
    std::size_t subscribers = 0;
    double rate = 0;  // asked for; 0: as fast as accepted
    std::uint64_t published = 0;
    std::uint64_t publish_failures = 0;
    double publish_seconds = 0;  // from the first publish to the last answer
    double seconds = 0;          // from the first publish to the last receipt
    DeliveryCounts deliveries;
    std::uint64_t expected = 0;   // published x subscribers
    LatencySamples latency;       // publish to receipt, microseconds
    Traffic subscribers_traffic;  // the subscribers' requests and answers
    Traffic publisher_traffic;
    std::optional<double> server_cpu_seconds;
    /// TCP segments sent on this host (/proc/net/snmp OutSegs) while publishing and draining:
    /// over loopback both ends' segments, ACKs and the publisher's included.
    std::optional<std::uint64_t> tcp_segments;
};

/// Runs the workload against a server already listening at `options.url`.
/// Throws std::runtime_error when the server cannot be reached.
FanoutResult run_fanout(const FanoutOptions& options);

}  // namespace herald::cli::bench
