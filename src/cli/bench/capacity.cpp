#include "cli/bench/capacity.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cli/bench/http_connection.hpp"
#include "cli/bench/progress.hpp"
#include "cli/bench/server_process.hpp"

namespace herald::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

/// Runs `threads` io_contexts until their work is done.
void run_contexts(std::vector<std::unique_ptr<net::io_context>>& contexts) {
    std::vector<std::thread> workers;
    for (auto& context : contexts)
        workers.emplace_back([&context] { context->run(); });
    for (auto& worker : workers)
        worker.join();
}

/// One publishing connection: posts until the shared budget is spent.
class Publisher : public std::enable_shared_from_this<Publisher> {
public:
    Publisher(net::io_context& context, net::ip::tcp::endpoint endpoint,
              std::atomic<std::uint64_t>& budget, std::string channel)
        : connection_(std::make_shared<HttpConnection>(context, endpoint, traffic)),
          budget_(budget),
          target_("/v1/channels/" + std::move(channel) + "/messages") {}

    void next() {
        // Take one message of the budget, unless it is spent (never below zero).
        std::uint64_t left = budget_.load();
        do {
            if (left == 0) return connection_->close();
        } while (!budget_.compare_exchange_weak(left, left - 1));
        const auto sent = Clock::now();
        connection_->request(
                http::verb::post, target_,
                R"({"data":{"text":"a message of about a hundred bytes, from herald bench"}})",
                [self = shared_from_this(), sent](beast::error_code ec,
                                                  HttpConnection::Response&& answer) {
                    const unsigned status = answer.result_int();
                    self->latency.add(std::chrono::duration_cast<std::chrono::microseconds>(
                                              Clock::now() - sent)
                                              .count());
                    if (!ec && status == 201) {
                        ++self->accepted;
                    } else {
                        ++self->failed;
                    }
                    if (ec) return;  // the server went away: stop this publisher
                    self->next();
                });
    }

    Traffic traffic;
    LatencySamples latency;
    std::uint64_t accepted = 0;
    std::uint64_t failed = 0;

private:
    std::shared_ptr<HttpConnection> connection_;
    std::atomic<std::uint64_t>& budget_;
    std::string target_;
};

}  // namespace

ThroughputResult run_throughput(const ThroughputOptions& options) {
    const auto endpoint = resolve_http_url(options.url);
    std::atomic<std::uint64_t> budget{options.messages};
    std::vector<std::unique_ptr<net::io_context>> contexts;
    for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
        contexts.push_back(std::make_unique<net::io_context>(1));
    }
    std::vector<std::shared_ptr<Publisher>> publishers;
    for (std::size_t i = 0; i < options.connections; ++i) {
        publishers.push_back(std::make_shared<Publisher>(
                *contexts[i % contexts.size()], endpoint, budget,
                "bench-throughput:" +
                        std::to_string(i % std::max<std::size_t>(1, options.channels))));
        net::post(*contexts[i % contexts.size()], [p = publishers.back()] { p->next(); });
    }
    const auto cpu_before =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    const auto started = Clock::now();
    {
        Progress progress("throughput", [&budget, &options] {
            return 1.0 - static_cast<double>(budget.load()) / static_cast<double>(options.messages);
        });
        run_contexts(contexts);
    }
    ThroughputResult result;
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const auto cpu_after =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    for (auto& publisher : publishers) {
        result.accepted += publisher->accepted;
        result.failed += publisher->failed;
        result.latency.merge(publisher->latency);
        result.traffic += publisher->traffic;
    }
    if (cpu_before && cpu_after) result.server_cpu_seconds = *cpu_after - *cpu_before;
    return result;
}

IdleResult run_idle(const IdleOptions& options) {
    const auto endpoint = resolve_http_url(options.url);
    IdleResult result;
    result.transport = options.transport;
    result.connections = options.connections;
    if (options.server_pid) result.rss_before = process_rss_bytes(*options.server_pid);

    std::vector<std::unique_ptr<net::io_context>> contexts;
    for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
        contexts.push_back(std::make_unique<net::io_context>(1));
    }
    std::vector<Traffic> traffic(options.connections);
    std::vector<std::shared_ptr<HttpConnection>> connections;
    std::atomic<std::size_t> established{0};
    const bool long_poll = options.transport == "longpoll";
    for (std::size_t i = 0; i < options.connections; ++i) {
        auto& context = *contexts[i % contexts.size()];
        connections.push_back(std::make_shared<HttpConnection>(context, endpoint, traffic[i]));
        net::post(context, [connection = connections.back(), &established, long_poll] {
            // A long poll is held until the run ends; a short poll answers and the
            // connection then sits idle, kept alive.
            const std::string target = long_poll ? "/v1/channels/bench-idle/messages?wait=120"
                                                 : "/v1/channels/bench-idle/messages";
            if (long_poll) ++established;
            connection->request(
                    http::verb::get, target, {},
                    [&established, long_poll](beast::error_code ec, HttpConnection::Response&&) {
                        if (!ec && !long_poll) ++established;
                    });
        });
    }
    std::vector<std::thread> workers;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
    for (auto& context : contexts) {
        guards.emplace_back(context->get_executor());
        workers.emplace_back([&context] { context->run(); });
    }
    // Let every request reach the server and settle.
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (established.load() < options.connections && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500 + options.connections / 20));
    result.established = established.load();
    if (options.server_pid) result.rss_after = process_rss_bytes(*options.server_pid);
    for (std::size_t i = 0; i < connections.size(); ++i) {
        net::post(*contexts[i % contexts.size()], [c = connections[i]] { c->close(); });
    }
    guards.clear();
    for (auto& context : contexts)
        context->stop();
    for (auto& worker : workers)
        worker.join();
    return result;
}

}  // namespace herald::cli::bench
