#include <iostream>
#include <stdexcept>

#include "cli/bench/fanout.hpp"
#include "cli/bench/report.hpp"
#include "cli/commands.hpp"

namespace herald::cli {

int run_bench(const ClientOptions& client, const BenchArguments& arguments) {
    if (arguments.workload != "fanout" && arguments.workload != "latency") {
        std::cerr << "herald bench: workload '" << arguments.workload
                  << "' is not available in this version (fanout, latency)\n";
        return 2;
    }
    std::vector<bench::FanoutResult> results;
    for (const std::string& transport : arguments.transports) {
        if (transport != "poll" && transport != "longpoll") {
            std::cerr << "herald bench: transport '" << transport
                      << "' is not available in this version (poll, longpoll)\n";
            return 2;
        }
        bench::FanoutOptions options;
        options.url = client.url;
        options.transport = transport;
        // latency: one subscriber, one publisher.
        options.subscribers = arguments.workload == "latency" ? 1 : arguments.subscribers;
        options.rate = arguments.rate;
        options.seconds = arguments.seconds;
        options.poll_interval = arguments.poll_interval;
        options.threads = arguments.threads;
        if (arguments.server_pid != 0) options.server_pid = arguments.server_pid;
        if (!arguments.json) {
            std::cerr << "herald bench: " << arguments.workload << " over " << transport << ", "
                      << options.subscribers << " subscribers, " << options.rate << " msg/s for "
                      << options.seconds << " s\n";
        }
        try {
            results.push_back(bench::run_fanout(options));
        } catch (const std::exception& error) {
            std::cerr << "herald bench: " << error.what() << "\n";
            return 1;
        }
    }
    std::cout << (arguments.json ? bench::report_json(results) + "\n"
                                 : bench::report_table(results));
    return 0;
}

}  // namespace herald::cli
