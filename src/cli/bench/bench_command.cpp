#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>

#include <boost/json.hpp>

#include "cli/bench/capacity.hpp"
#include "cli/bench/chart.hpp"
#include "cli/bench/fanout.hpp"
#include "cli/bench/report.hpp"
#include "cli/bench/server_process.hpp"
#include "cli/commands.hpp"

namespace herald::cli {

namespace {

namespace json = boost::json;

bool known_transport(const std::string& transport) {
    return transport == "poll" || transport == "longpoll" || transport == "sse" ||
           transport == "stream" || transport == "ws" || transport == "ws-deflate";
}

int run_fanouts(const std::string& url, std::optional<pid_t> pid, const BenchArguments& arguments) {
    std::vector<bench::FanoutResult> results;
    for (const std::string& transport : arguments.transports) {
        bench::FanoutOptions options;
        options.url = url;
        options.target = arguments.target;
        options.transport = transport;
        // latency: one subscriber, one publisher.
        options.subscribers = arguments.workload == "latency" ? 1 : arguments.subscribers;
        options.rate = arguments.rate;  // 0: as fast as accepted
        options.seconds = arguments.seconds;
        options.poll_interval = arguments.poll_interval;
        options.threads = arguments.threads;
        options.per_process = arguments.per_process;
        options.server_pid = pid;
        std::cerr << "herald bench: " << arguments.workload << " over " << transport << ", "
                  << options.subscribers << " subscribers, ";
        if (options.rate > 0) {
            std::cerr << options.rate << " msg/s";
        } else {
            std::cerr << "as many msg/s as accepted";
        }
        std::cerr << " for " << options.seconds << " s\n";
        results.push_back(bench::run_fanout(options));
    }
    std::cout << (arguments.json ? bench::report_json(results) + "\n"
                                 : bench::report_table(results));
    if (!arguments.svg.empty()) {
        std::ofstream chart(arguments.svg);
        chart << bench::latency_chart_svg(results);
        if (!chart) {
            std::cerr << "herald bench: cannot write " << arguments.svg << "\n";
            return 1;
        }
    }
    return 0;
}

int run_throughput(const std::string& url, std::optional<pid_t> pid,
                   const BenchArguments& arguments) {
    bench::ThroughputOptions options;
    options.url = url;
    options.connections = arguments.connections;
    options.messages = arguments.messages;
    options.channels = arguments.channels;
    options.threads = arguments.threads;
    options.server_pid = pid;
    std::cerr << "herald bench: throughput, " << options.messages << " publishes over "
              << options.connections << " connections\n";
    bench::ThroughputResult result = bench::run_throughput(options);
    std::cout << (arguments.json ? bench::report_json(result) + "\n" : bench::report_table(result));
    return result.failed == 0 ? 0 : 1;
}

/// A server to measure: the one at --url, or a fresh one of its own.
struct Target {
    std::unique_ptr<bench::ServerProcess> server;
    std::string url;
    std::optional<pid_t> pid;
};

Target target(const ClientOptions& client, const BenchArguments& arguments) {
    Target target{nullptr, client.url, std::nullopt};
    if (arguments.server_pid != 0) target.pid = arguments.server_pid;
    if (arguments.start_server) {
        target.server = std::make_unique<bench::ServerProcess>(
                std::vector<std::string>{"--storage", arguments.storage});
        target.url = target.server->url();
        target.pid = target.server->pid();
        std::cerr << "herald bench: started herald serve at " << target.url << " (pid "
                  << *target.pid << ", storage " << arguments.storage << ")\n";
    }
    return target;
}

int run_idle(const ClientOptions& client, const BenchArguments& arguments) {
    std::vector<bench::IdleResult> results;
    for (const std::string& transport : arguments.transports) {
        // Memory is measured on a fresh server per transport: freed memory is not returned.
        Target server = target(client, arguments);
        bench::IdleOptions options;
        options.url = server.url;
        options.target = arguments.target;
        options.transport = transport;
        options.connections = arguments.connections;
        options.threads = arguments.threads;
        options.server_pid = server.pid;
        std::cerr << "herald bench: idle, " << options.connections << " " << transport
                  << " connections\n";
        results.push_back(bench::run_idle(options));
    }
    std::cout << (arguments.json ? bench::report_json(results) + "\n"
                                 : bench::report_table(results));
    return 0;
}

}  // namespace

int run_bench(const ClientOptions& client, const BenchArguments& arguments) {
    const std::string& workload = arguments.workload;
    if (workload != "fanout" && workload != "latency" && workload != "throughput" &&
        workload != "idle") {
        std::cerr << "herald bench: unknown workload '" << workload
                  << "' (fanout, latency, throughput, idle)\n";
        return 2;
    }
    for (const std::string& transport : arguments.transports) {
        if (!known_transport(transport)) {
            std::cerr << "herald bench: transport '" << transport
                      << "' is not available in this version (poll, longpoll, sse, stream, ws)\n";
            return 2;
        }
    }
    if (arguments.target != "herald" && arguments.target != "nchan") {
        std::cerr << "herald bench: unknown target '" << arguments.target << "' (herald, nchan)\n";
        return 2;
    }
    if (arguments.target == "nchan" && (arguments.start_server || workload == "throughput")) {
        std::cerr << "herald bench: --target nchan measures fanout, latency and idle of an Nchan "
                     "given with --url (bench/nchan/start)\n";
        return 2;
    }
    if (!(arguments.rate >= 0) || !(arguments.seconds > 0)) {
        std::cerr << "herald bench: --rate must be 0 (as fast as accepted) or more, --seconds "
                     "more than 0\n";
        return 2;
    }
    try {
        if (workload == "idle") return run_idle(client, arguments);
        Target server = target(client, arguments);
        if (workload == "throughput") return run_throughput(server.url, server.pid, arguments);
        return run_fanouts(server.url, server.pid, arguments);
    } catch (const std::exception& error) {
        std::cerr << "herald bench: " << error.what() << "\n";
        return 1;
    }
}

}  // namespace herald::cli
