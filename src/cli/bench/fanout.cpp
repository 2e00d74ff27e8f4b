#include "cli/bench/fanout.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

#include <boost/json.hpp>

#include "cli/bench/http_connection.hpp"
#include "cli/bench/progress.hpp"
#include "cli/bench/publisher.hpp"
#include "cli/bench/server_process.hpp"
#include "cli/bench/subscriber_group.hpp"

namespace herald::cli::bench {

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using Response = HttpConnection::Response;

/// A blocking request on its own io_context, for set-up.
Response fetch(net::ip::tcp::endpoint endpoint, const std::string& target) {
    net::io_context context;
    Traffic ignored;
    auto connection = std::make_shared<HttpConnection>(context, endpoint, ignored);
    Response response;
    beast::error_code error;
    connection->request(http::verb::get, target, {}, [&](beast::error_code ec, Response&& answer) {
        error = ec;
        response = std::move(answer);
    });
    context.run();
    if (error) throw std::runtime_error("cannot reach the server: " + error.message());
    return response;
}

/// Herald: the channel's newest seq, after which the run starts. Nchan: a fresh channel,
/// numbered from 1 by the publisher.
std::uint64_t start_after(net::ip::tcp::endpoint endpoint, const Run& run) {
    if (run.nchan) return 0;
    Response info = fetch(endpoint, "/v1/channels/" + run.channel + "/messages?limit=1");
    if (info.result_int() != 200) {
        throw std::runtime_error("the server answered " + std::to_string(info.result_int()));
    }
    return json::parse(info.body()).at("last_seq").to_number<std::uint64_t>();
}

/// Publishes on this thread until done; the progress bar follows it.
/// What the publisher did: copied out, since the publisher dies with its io_context.
struct Published {
    std::uint64_t accepted = 0;
    std::uint64_t failed = 0;
    double seconds = 0;
    Traffic traffic;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

Published publish(const FanoutOptions& options, net::ip::tcp::endpoint endpoint, const Run& run,
                  ProgressBoard& board) {
    PublisherOptions publisher_options;
    publisher_options.target =
            run.nchan ? "/pub/" + run.channel : "/v1/channels/" + run.channel + "/messages";
    publisher_options.nchan = run.nchan;
    publisher_options.rate = options.rate;
    publisher_options.seconds = options.seconds;
    publisher_options.window = options.window;
    publisher_options.max_backlog = options.max_backlog;
    publisher_options.board = &board;
    net::io_context context;
    auto publisher = std::make_shared<Publisher>(context, endpoint, publisher_options);
    const auto started = Clock::now();
    const double total = options.rate * options.seconds;
    Progress progress(options.target + " " + options.transport, [&] {
        if (total > 0) return static_cast<double>(publisher->sent.load()) / total;
        return std::chrono::duration<double>(Clock::now() - started).count() / options.seconds;
    });
    publisher->start();
    context.run();
    return Published{publisher->accepted, publisher->failed, publisher->publishing_seconds,
                     publisher->traffic,  publisher->first,  publisher->last};
}

}  // namespace

FanoutResult run_fanout(const FanoutOptions& options) {
    const auto endpoint = resolve_http_url(options.url);
    Run run;
    run.nchan = options.target == "nchan";
    run.channel =
            options.channel.empty() ? "bench-" + std::to_string(wall_micros()) : options.channel;
    run.transport = options.transport;
    run.poll_interval =
            std::chrono::milliseconds(static_cast<std::int64_t>(options.poll_interval * 1000));
    const std::uint64_t start_seq = start_after(endpoint, run);
    ProgressBoard board(options.subscribers);

    // Past one process's share, fork workers now, while this process has a single thread.
    const std::size_t per_process = std::max<std::size_t>(1, options.per_process);
    std::vector<std::unique_ptr<WorkerProcess>> workers;
    std::size_t own = options.subscribers;
    while (own > per_process) {
        const std::size_t share = std::min(per_process, own - per_process);
        own -= share;
        workers.push_back(std::make_unique<WorkerProcess>(endpoint, run, share, options.threads,
                                                          start_seq, board, own));
    }
    SubscriberGroup group(endpoint, run, own, options.threads, start_seq, board, 0);
    // Subscribers must be in place before the first publish, or the first messages would be
    // reads of history.
    group.wait_ready();
    for (auto& worker : workers)
        worker->wait_ready();

    FanoutResult result;
    result.target = options.target;
    result.transport = options.transport;
    result.subscribers = options.subscribers;
    result.rate = options.rate;
    const auto cpu_before =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    const auto segments_before = tcp_out_segments();
    const std::int64_t started_wall = wall_micros();
    const Published published = publish(options, endpoint, run, board);
    result.published = published.accepted;
    result.publish_failures = published.failed;
    result.publish_seconds = published.seconds;
    result.publisher_traffic = published.traffic;
    const std::uint64_t first = published.first;
    const std::uint64_t last = published.last;

    // Drain: every subscriber reaches the last message, or the deadline passes.
    for (auto& worker : workers)
        worker->publish_range(first, last);
    group.drain(last == 0 ? start_seq : last);
    const auto cpu_after =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    const auto segments_after = tcp_out_segments();
    group.stop();

    std::int64_t last_receipt = started_wall;
    group.add_to(result, first == 0 ? 1 : first, first == 0 ? 0 : last, last_receipt);
    for (auto& worker : workers)
        worker->collect(result, last_receipt);
    result.expected = result.published * options.subscribers;
    result.seconds = static_cast<double>(last_receipt - started_wall) / 1e6;
    if (cpu_before && cpu_after) result.server_cpu_seconds = *cpu_after - *cpu_before;
    if (segments_before && segments_after) {
        result.tcp_segments = *segments_after - *segments_before;
    }
    return result;
}

}  // namespace herald::cli::bench
