#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/http_client.hpp"

namespace herald::cli {

struct PubArguments {
    std::string channel;
    std::string data;  // JSON text
    std::string event;
    std::string id;
    bool ws = false;  // publish over a WebSocket publish frame instead of HTTP POST
};

/// herald pub: publishes one message, prints the reply. Returns the exit code.
int run_pub(const ClientOptions& client, const PubArguments& arguments);

struct SubArguments {
    std::string channel;
    std::string transport = "longpoll";  // poll | longpoll | sse | stream | ws
    std::optional<std::uint64_t> after;
    std::uint64_t count = 0;        // stop after this many messages; 0: never
    double interval_seconds = 1.0;  // poll: time between requests
    unsigned wait_seconds = 30;     // longpoll: wait=S of each request
};

/// herald sub: prints every message (and gap) of the channel as one JSON line each.
int run_sub(const ClientOptions& client, const SubArguments& arguments);

struct BenchArguments {
    std::string workload = "fanout";
    std::string target = "herald";  // herald | nchan
    std::vector<std::string> transports{"longpoll"};
    std::size_t subscribers = 100;
    double rate = 50;
    double seconds = 5;
    double poll_interval = 1.0;
    unsigned threads = 2;
    std::size_t per_process = 15'000;  // fanout: subscribers per process before forking workers
    std::size_t connections = 1000;    // idle: connections; throughput: publishers (64)
    std::uint64_t messages = 100'000;  // throughput: how many in all
    std::size_t channels = 64;         // throughput: spread over this many channels
    int server_pid = 0;                // 0: unknown
    bool start_server = false;         // no --url: start `herald serve` and measure it
    std::string storage = "sqlite";    // of a server it starts
    bool json = false;
    std::string svg;  // fanout, latency: write the latency chart here
};

struct TokenArguments {
    std::string secret;  // auth.jwt_secret (HS256)
    std::string sub;
    std::vector<std::string> subscribe;  // channel globs
    std::vector<std::string> publish;
    bool admin = false;
    std::string ttl = "1h";
};

/// herald token: prints an HS256 token for development and tests. Returns the exit code.
int run_token(const TokenArguments& arguments);

/// herald bench: runs a workload against the server at `client.url` and prints the figures.
int run_bench(const ClientOptions& client, const BenchArguments& arguments);

}  // namespace herald::cli
