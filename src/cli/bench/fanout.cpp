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
#include "cli/bench/progress.hpp"
#include "cli/bench/server_process.hpp"

namespace herald::cli::bench {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using Response = HttpConnection::Response;

namespace {

std::int64_t wall_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

/// State shared by every subscriber of a run; counters are atomics, the rest is set before.
struct Run {
    bool nchan = false;
    std::string channel;
    bool long_poll = true;
    std::chrono::milliseconds poll_interval{1000};
    std::atomic<std::uint64_t> target{0};  // last number published, once publishing is over
    std::atomic<std::size_t> caught_up{0};
    std::atomic<bool> stopping{false};
};

/// Polls (short or long) until told to stop, recording every message it receives. Against
/// Herald the cursor is the message seq; against Nchan it is the Last-Modified and ETag pair
/// of the previous answer, and messages are numbered by the publisher.
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
        std::string target;
        HttpConnection::Headers headers;
        if (run_.nchan) {
            target = (run_.long_poll ? "/sub/" : "/poll/") + run_.channel;
            if (!modified_.empty()) headers.emplace_back(http::field::if_modified_since, modified_);
            if (!etag_.empty()) headers.emplace_back(http::field::if_none_match, etag_);
        } else {
            target = "/v1/channels/" + run_.channel + "/messages?after=" + std::to_string(cursor_) +
                     "&limit=1000";
            if (run_.long_poll) target += "&wait=30";
        }
        connection_->request(
                http::verb::get, target, {},
                [self = shared_from_this()](beast::error_code ec, Response&& answer) {
                    self->on_answer(ec, answer);
                },
                headers);
    }

    void on_answer(beast::error_code ec, Response& answer) {
        if (run_.stopping) return;
        const unsigned status = answer.result_int();
        bool got = false;
        if (!ec && status == 200)
            got = run_.nchan ? record_nchan(answer) : record_herald(answer.body());
        const std::uint64_t target = run_.target.load();
        if (!counted_ && target != 0 && cursor_ >= target) {
            counted_ = true;
            ++run_.caught_up;
        }
        // A long poll asks again at once, after a message or a timeout (204, 304, 408); a
        // short poll that got something asks again at once too, to catch up (Nchan answers
        // one message per request).
        if (!ec && (got || (run_.long_poll && (status == 204 || status == 304 || status == 408)))) {
            return poll();
        }
        // Short polls wait their interval; a failed request waits too rather than spin.
        timer_.expires_after(run_.long_poll ? std::chrono::milliseconds(100) : run_.poll_interval);
        timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
            if (!wait_ec) self->poll();
        });
    }

    void record(std::uint64_t number, const json::value& payload, std::int64_t now) {
        check.receive(number);
        if (const json::value* sent = payload.as_object().if_contains("t")) {
            latency.add(now - sent->to_number<std::int64_t>());
        }
        cursor_ = std::max(cursor_, number);
        last_receipt = now;
    }

    bool record_herald(const std::string& body) {
        boost::system::error_code ec;
        json::value reply = json::parse(body, ec);
        if (ec || !reply.is_object()) return false;
        const json::array& messages = reply.as_object().at("messages").as_array();
        const std::int64_t now = wall_micros();
        for (const json::value& message : messages) {
            record(message.at("seq").to_number<std::uint64_t>(), message.at("data"), now);
        }
        return !messages.empty();
    }

    bool record_nchan(const Response& answer) {
        modified_ = std::string(answer[http::field::last_modified]);
        etag_ = std::string(answer[http::field::etag]);
        boost::system::error_code ec;
        json::value payload = json::parse(answer.body(), ec);
        if (ec || !payload.is_object()) return false;
        record(payload.at("n").to_number<std::uint64_t>(), payload, wall_micros());
        return true;
    }

    std::shared_ptr<HttpConnection> connection_;
    net::steady_timer timer_;
    Run& run_;
    std::uint64_t cursor_;
    std::string modified_;
    std::string etag_;
    bool counted_ = false;
};

net::ip::tcp::endpoint resolve(const std::string& url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "http") {
        throw std::runtime_error("--url must look like http://HOST:PORT, not '" + url + "'");
    }
    net::io_context context;
    net::ip::tcp::resolver resolver(context);
    auto results = resolver.resolve(std::string(parsed->host()),
                                    parsed->has_port() ? std::string(parsed->port()) : "80");
    return results.begin()->endpoint();
}

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

}  // namespace

FanoutResult run_fanout(const FanoutOptions& options) {
    const auto endpoint = resolve(options.url);
    Run run;
    run.nchan = options.target == "nchan";
    run.channel =
            options.channel.empty() ? "bench-" + std::to_string(wall_micros()) : options.channel;
    run.long_poll = options.transport == "longpoll";
    run.poll_interval =
            std::chrono::milliseconds(static_cast<std::int64_t>(options.poll_interval * 1000));

    // Herald: start after the channel's newest seq. Nchan: a fresh channel, numbered from 1.
    std::uint64_t start_seq = 0;
    if (!run.nchan) {
        Response info = fetch(endpoint, "/v1/channels/" + run.channel + "/messages?limit=1");
        if (info.result_int() != 200) {
            throw std::runtime_error("the server answered " + std::to_string(info.result_int()));
        }
        start_seq = json::parse(info.body()).at("last_seq").to_number<std::uint64_t>();
    }

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
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + options.subscribers / 5));

    // The publisher, on this thread: one connection, paced by the clock.
    FanoutResult result;
    result.target = options.target;
    result.transport = options.transport;
    result.subscribers = options.subscribers;
    const auto cpu_before =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    net::io_context publisher_context;
    auto publisher =
            std::make_shared<HttpConnection>(publisher_context, endpoint, result.publisher_traffic);
    const std::string publish_target =
            run.nchan ? "/pub/" + run.channel : "/v1/channels/" + run.channel + "/messages";
    const auto started = Clock::now();
    const std::int64_t started_wall = wall_micros();
    const auto total = static_cast<std::uint64_t>(options.rate * options.seconds);
    std::atomic<std::uint64_t> sent{0};
    Progress progress(options.target + " " + options.transport, [&sent, total] {
        return total == 0 ? 1.0 : static_cast<double>(sent.load()) / static_cast<double>(total);
    });
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    for (std::uint64_t n = 1; n <= total; ++n) {
        std::this_thread::sleep_until(
                started + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>((n - 1) / options.rate)));
        const std::string payload =
                "{\"t\":" + std::to_string(wall_micros()) + ",\"n\":" + std::to_string(n) + "}";
        const std::string body = run.nchan ? payload : "{\"data\":" + payload + "}";
        publisher->request(http::verb::post, publish_target, body,
                           [&](beast::error_code ec, Response&& answer) {
                               const unsigned status = answer.result_int();
                               if (ec || status < 200 || status > 202) return;
                               // Herald numbers by seq; Nchan by the publisher's n.
                               const std::uint64_t number =
                                       run.nchan ? n
                                                 : json::parse(answer.body())
                                                           .at("seq")
                                                           .to_number<std::uint64_t>();
                               if (first == 0) first = number;
                               last = std::max(last, number);
                               ++result.published;
                           });
        publisher_context.restart();
        publisher_context.run();
        ++sent;
    }
    run.target = last == 0 ? start_seq : last;

    // Drain: every subscriber reaches the last message, or the deadline passes.
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
        result.deliveries +=
                subscriber->check.counts(first == 0 ? 1 : first, first == 0 ? 0 : last);
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
