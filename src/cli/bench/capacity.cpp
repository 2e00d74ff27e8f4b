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
#include "cli/bench/subscriber.hpp"

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

namespace {

/// Idle connections, each in its own state: a held long poll, a kept-alive connection after
/// one short poll, an open stream after its response headers, or a subscribed WebSocket.
/// `established` counts those that reached that state.
/// Thread: the caller's; the connections run on `threads` io_contexts until `close`.
class IdleConnections {
public:
    IdleConnections(const IdleOptions& options, net::ip::tcp::endpoint endpoint)
        : board_(options.connections) {
        run_.nchan = options.target == "nchan";
        run_.channel = "bench-idle";
        run_.transport = options.transport;
        for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
            contexts_.push_back(std::make_unique<net::io_context>(1));
        }
        traffic_.resize(options.connections);
        for (std::size_t i = 0; i < options.connections; ++i) {
            auto& context = *contexts_[i % contexts_.size()];
            if (run_.streaming()) {
                // The stream's subscriber, with nothing ever published to its channel.
                streams_.push_back(make_subscriber(context, endpoint, run_, 0, board_.slot(i)));
                net::post(context, [s = streams_.back()] { s->start(); });
            } else {
                polls_.push_back(std::make_shared<HttpConnection>(context, endpoint, traffic_[i]));
                net::post(context, [this, c = polls_.back()] { poll(*c); });
            }
        }
        for (auto& context : contexts_) {
            guards_.emplace_back(context->get_executor());
            workers_.emplace_back([&context] { context->run(); });
        }
    }

    ~IdleConnections() { close(); }
    IdleConnections(const IdleConnections&) = delete;
    IdleConnections& operator=(const IdleConnections&) = delete;

    std::size_t established() const {
        return run_.streaming() ? run_.connected.load() : polls_established_.load();
    }

    void close() {
        if (run_.stopping.exchange(true)) return;
        for (std::size_t i = 0; i < streams_.size(); ++i) {
            net::post(*contexts_[i % contexts_.size()], [s = streams_[i]] { s->stop(); });
        }
        for (std::size_t i = 0; i < polls_.size(); ++i) {
            net::post(*contexts_[i % contexts_.size()], [c = polls_[i]] { c->close(); });
        }
        guards_.clear();
        for (auto& context : contexts_)
            context->stop();
        for (auto& worker : workers_)
            worker.join();
    }

private:
    void poll(HttpConnection& connection) {
        // A long poll is held until the run ends; a short poll answers and the connection
        // then sits idle, kept alive.
        const bool long_poll = run_.long_poll();
        std::string target = run_.nchan ? (long_poll ? "/sub/" : "/poll/") + run_.channel
                                        : "/v1/channels/" + run_.channel + "/messages";
        if (long_poll && !run_.nchan) target += "?wait=120";
        if (long_poll) ++polls_established_;
        connection.request(http::verb::get, target, {},
                           [this, long_poll](beast::error_code ec, HttpConnection::Response&&) {
                               if (!ec && !long_poll) ++polls_established_;
                           });
    }

    Run run_;
    ProgressBoard board_;
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::vector<Traffic> traffic_;
    std::vector<std::shared_ptr<HttpConnection>> polls_;
    std::vector<std::shared_ptr<Subscriber>> streams_;
    std::atomic<std::size_t> polls_established_{0};
    std::vector<std::thread> workers_;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
};

}  // namespace

IdleResult run_idle(const IdleOptions& options) {
    const auto endpoint = resolve_http_url(options.url);
    IdleResult result;
    result.target = options.target;
    result.transport = options.transport;
    result.connections = options.connections;
    // Let every request of a group reach the server and settle.
    const auto settle = [](const IdleConnections& group, std::size_t count) {
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        while (group.established() < count && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + count / 20));
    };
    IdleOptions warm_up_options = options;
    warm_up_options.connections = std::max<std::size_t>(1, options.connections / 10);
    IdleConnections warm_up(warm_up_options, endpoint);
    settle(warm_up, warm_up_options.connections);
    if (options.server_pid) result.rss_before = process_rss_bytes(*options.server_pid);
    IdleConnections connections(options, endpoint);
    settle(connections, options.connections);
    result.established = connections.established();
    if (options.server_pid) result.rss_after = process_rss_bytes(*options.server_pid);
    connections.close();
    warm_up.close();
    return result;
}

}  // namespace herald::cli::bench
