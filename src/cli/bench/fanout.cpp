#include "cli/bench/fanout.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "cli/bench/http_connection.hpp"
#include "cli/bench/server_process.hpp"

namespace herald::cli::bench {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t wall_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

/// State shared by every subscriber of a run; counters are atomics, the rest is set before.
struct Run {
    std::string base;  // "/v1/channels/C/messages"
    bool long_poll = true;
    std::chrono::milliseconds poll_interval{1000};
    std::atomic<std::uint64_t> target{0};  // last seq published, once publishing is over
    std::atomic<std::size_t> caught_up{0};
    std::atomic<bool> stopping{false};
};

/// Polls (short or long) until told to stop, recording every message it receives.
/// Thread: its io_context's.
class Subscriber : public std::enable_shared_from_this<Subscriber> {
public:
    Subscriber(net::io_context& context, net::ip::tcp::endpoint endpoint, Run& run,
               std::uint64_t after)
        : connection_(std::make_shared<HttpConnection>(context, endpoint, traffic)),
          timer_(context),
          run_(run),
          cursor_(after) {}

    void start() { poll(); }
    void stop() {
        timer_.cancel();
        connection_->close();
    }

    LatencySamples latency;
    DeliveryCheck check;
    Traffic traffic;
    std::int64_t last_receipt = 0;

private:
    void poll() {
        if (run_.stopping) return;
        std::string target = run_.base + "?after=" + std::to_string(cursor_) + "&limit=1000";
        if (run_.long_poll) target += "&wait=30";
        connection_->request(http::verb::get, target, {},
                             [self = shared_from_this()](beast::error_code ec, unsigned status,
                                                         std::string body) {
                                 self->on_answer(ec, status, body);
                             });
    }

    void on_answer(beast::error_code ec, unsigned status, const std::string& body) {
        if (run_.stopping) return;
        bool got = false;
        if (!ec && status == 200) got = record(body);
        const std::uint64_t target = run_.target.load();
        if (!counted_ && target != 0 && cursor_ >= target) {
            counted_ = true;
            ++run_.caught_up;
        }
        if (run_.long_poll && !ec && (got || status == 204)) return poll();
        // Short polls wait their interval; a failed request waits too rather than spin.
        timer_.expires_after(run_.long_poll ? std::chrono::milliseconds(100) : run_.poll_interval);
        timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
            if (!wait_ec) self->poll();
        });
    }

    bool record(const std::string& body) {
        boost::system::error_code ec;
        json::value reply = json::parse(body, ec);
        if (ec || !reply.is_object()) return false;
        const json::array& messages = reply.as_object().at("messages").as_array();
        const std::int64_t now = wall_micros();
        for (const json::value& message : messages) {
            const auto seq = message.at("seq").to_number<std::uint64_t>();
            check.receive(seq);
            const json::value* sent = message.at("data").as_object().if_contains("t");
            if (sent != nullptr) latency.add(now - sent->to_number<std::int64_t>());
            cursor_ = std::max(cursor_, seq);
        }
        if (!messages.empty()) last_receipt = now;
        return !messages.empty();
    }

    std::shared_ptr<HttpConnection> connection_;
    net::steady_timer timer_;
    Run& run_;
    std::uint64_t cursor_;
    bool counted_ = false;
};

net::ip::tcp::endpoint resolve(const std::string& url, std::string& host) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "http") {
        throw std::runtime_error("--url must look like http://HOST:PORT, not '" + url + "'");
    }
    host = std::string(parsed->host());
    net::io_context context;
    net::ip::tcp::resolver resolver(context);
    auto results = resolver.resolve(host, parsed->has_port() ? std::string(parsed->port()) : "80");
    return results.begin()->endpoint();
}

/// A blocking request on its own io_context, for set-up.
std::string fetch(net::ip::tcp::endpoint endpoint, http::verb method, const std::string& target,
                  const std::string& body, unsigned& status) {
    net::io_context context;
    Traffic ignored;
    auto connection = std::make_shared<HttpConnection>(context, endpoint, ignored);
    std::string answer;
    beast::error_code error;
    connection->request(method, target, body, [&](beast::error_code ec, unsigned s, std::string b) {
        error = ec;
        status = s;
        answer = std::move(b);
    });
    context.run();
    if (error) throw std::runtime_error("cannot reach the server: " + error.message());
    return answer;
}

}  // namespace

FanoutResult run_fanout(const FanoutOptions& options) {
    std::string host;
    const auto endpoint = resolve(options.url, host);
    const std::string channel =
            options.channel.empty() ? "bench-" + std::to_string(wall_micros()) : options.channel;
    Run run;
    run.base = "/v1/channels/" + channel + "/messages";
    run.long_poll = options.transport == "longpoll";
    run.poll_interval =
            std::chrono::milliseconds(static_cast<std::int64_t>(options.poll_interval * 1000));

    unsigned status = 0;
    const std::string info = fetch(endpoint, http::verb::get, run.base + "?limit=1", {}, status);
    if (status != 200) throw std::runtime_error("the server answered " + std::to_string(status));
    const auto start_seq = json::parse(info).at("last_seq").to_number<std::uint64_t>();

    // Subscribers, spread over the threads.
    const unsigned threads = std::max(1u, options.threads);
    std::vector<std::unique_ptr<net::io_context>> contexts;
    for (unsigned i = 0; i < threads; ++i)
        contexts.push_back(std::make_unique<net::io_context>(1));
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    for (std::size_t i = 0; i < options.subscribers; ++i) {
        auto& context = *contexts[i % threads];
        subscribers.push_back(std::make_shared<Subscriber>(context, endpoint, run, start_seq));
        net::post(context, [s = subscribers.back()] { s->start(); });
    }
    std::vector<std::thread> workers;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
    for (auto& context : contexts) {
        guards.emplace_back(context->get_executor());
        workers.emplace_back([&context] { context->run(); });
    }
    // Long polls must be held before the first publish, or the first messages would be reads.
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + options.subscribers / 5));

    // The publisher, on this thread: one connection, paced by the clock.
    FanoutResult result;
    result.transport = options.transport;
    result.subscribers = options.subscribers;
    const auto cpu_before =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    net::io_context publisher_context;
    auto publisher =
            std::make_shared<HttpConnection>(publisher_context, endpoint, result.publisher_traffic);
    const auto started = Clock::now();
    const std::int64_t started_wall = wall_micros();
    const auto total = static_cast<std::uint64_t>(options.rate * options.seconds);
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    for (std::uint64_t n = 0; n < total; ++n) {
        std::this_thread::sleep_until(started +
                                      std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(n / options.rate)));
        const std::string body = "{\"data\":{\"t\":" + std::to_string(wall_micros()) + "}}";
        publisher->request(http::verb::post, run.base, body,
                           [&](beast::error_code ec, unsigned s, std::string answer) {
                               if (ec || s != 201) return;
                               const auto seq =
                                       json::parse(answer).at("seq").to_number<std::uint64_t>();
                               if (first_seq == 0) first_seq = seq;
                               last_seq = std::max(last_seq, seq);
                               ++result.published;
                           });
        publisher_context.restart();
        publisher_context.run();
    }
    run.target = last_seq == 0 ? start_seq : last_seq;

    // Drain: every subscriber reaches the last seq, or the deadline passes.
    const auto deadline = Clock::now() + std::chrono::seconds(5) + run.poll_interval * 2;
    while (run.caught_up.load() < options.subscribers && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto cpu_after =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    run.stopping = true;
    for (std::size_t i = 0; i < subscribers.size(); ++i) {
        net::post(*contexts[i % threads], [s = subscribers[i]] { s->stop(); });
    }
    guards.clear();
    for (auto& worker : workers)
        worker.join();
    publisher->close();

    std::int64_t last_receipt = started_wall;
    for (auto& subscriber : subscribers) {
        result.deliveries += subscriber->check.counts(first_seq == 0 ? 1 : first_seq,
                                                      first_seq == 0 ? 0 : last_seq);
        result.latency.merge(subscriber->latency);
        result.subscribers_traffic += subscriber->traffic;
        last_receipt = std::max(last_receipt, subscriber->last_receipt);
    }
    result.expected = result.published * options.subscribers;
    result.seconds = static_cast<double>(last_receipt - started_wall) / 1e6;
    if (cpu_before && cpu_after) result.server_cpu_seconds = *cpu_after - *cpu_before;
    return result;
}

}  // namespace herald::cli::bench
