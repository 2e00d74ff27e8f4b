#include "cli/bench/fanout.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

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

/// One subscriber of a transport: what every transport's client records. A new transport
/// (SSE, HTTP streaming, WebSocket) is one more class of this kind, made by `make_subscriber`.
/// Thread: its io_context's.
class Subscriber {
public:
    virtual ~Subscriber() = default;
    virtual void start() = 0;
    virtual void stop() = 0;

    LatencySamples latency;
    DeliveryCheck check;
    Traffic traffic;
    std::int64_t last_receipt = 0;
};

/// Polls (short or long) until told to stop, recording every message it receives. Against
/// Herald the cursor is the message seq; against Nchan it is the Last-Modified and ETag pair
/// of the previous answer, and messages are numbered by the publisher.
class PollingSubscriber final : public Subscriber,
                                public std::enable_shared_from_this<PollingSubscriber> {
public:
    PollingSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint, Run& run,
                      std::uint64_t after)
        : connection_(std::make_shared<HttpConnection>(context, endpoint, traffic)),
          timer_(context),
          run_(run),
          cursor_(after) {}

    void start() override { poll(); }
    void stop() override {
        timer_.cancel();
        connection_->close();
    }

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

/// The subscriber of `run`'s transport.
std::shared_ptr<Subscriber> make_subscriber(net::io_context& context,
                                            net::ip::tcp::endpoint endpoint, Run& run,
                                            std::uint64_t after) {
    // poll and longpoll today; sse, stream and ws add their own class here.
    return std::make_shared<PollingSubscriber>(context, endpoint, run, after);
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

/// The subscribers one process runs, on its own threads.
class SubscriberGroup {
public:
    SubscriberGroup(net::ip::tcp::endpoint endpoint, Run& run, std::size_t count, unsigned threads,
                    std::uint64_t start_seq)
        : run_(run) {
        for (unsigned i = 0; i < std::max(1u, threads); ++i) {
            contexts_.push_back(std::make_unique<net::io_context>(1));
        }
        for (std::size_t i = 0; i < count; ++i) {
            auto& context = *contexts_[i % contexts_.size()];
            subscribers_.push_back(make_subscriber(context, endpoint, run, start_seq));
            net::post(context, [s = subscribers_.back()] { s->start(); });
        }
        for (auto& context : contexts_) {
            guards_.emplace_back(context->get_executor());
            workers_.emplace_back([&context] { context->run(); });
        }
    }

    /// Waits until every subscriber has the message `last`, or the deadline.
    void drain(std::uint64_t last) {
        run_.target = last;
        const auto deadline = Clock::now() + std::chrono::seconds(5) + run_.poll_interval * 2;
        while (run_.caught_up.load() < subscribers_.size() && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    void stop() {
        run_.stopping = true;
        for (std::size_t i = 0; i < subscribers_.size(); ++i) {
            net::post(*contexts_[i % contexts_.size()], [s = subscribers_[i]] { s->stop(); });
        }
        guards_.clear();
        for (auto& worker : workers_)
            worker.join();
        workers_.clear();
    }

    /// What the group received of the published numbers `first` .. `last`.
    void add_to(FanoutResult& result, std::uint64_t first, std::uint64_t last,
                std::int64_t& last_receipt) {
        for (auto& subscriber : subscribers_) {
            result.deliveries += subscriber->check.counts(first, last);
            result.latency.merge(subscriber->latency);
            result.subscribers_traffic += subscriber->traffic;
            last_receipt = std::max(last_receipt, subscriber->last_receipt);
        }
    }

private:
    Run& run_;
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::vector<std::shared_ptr<Subscriber>> subscribers_;
    std::vector<std::thread> workers_;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
};

void write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, bytes, size);
        if (n <= 0) throw std::runtime_error("bench worker pipe closed");
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
}

void read_all(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, bytes, size);
        if (n <= 0) throw std::runtime_error("a bench worker process died");
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
}

/// A forked process holding a share of the subscribers: one process may hold about 19,000
/// sockets here. It says when its subscribers are ready, waits for the published range, drains,
/// and sends its counts back through a pipe.
struct WorkerProcess {
    pid_t pid = -1;
    int to_worker = -1;
    int from_worker = -1;
};

[[noreturn]] void worker_main(int from_parent, int to_parent, net::ip::tcp::endpoint endpoint,
                              Run& run, std::size_t count, unsigned threads,
                              std::uint64_t start_seq) {
    try {
        SubscriberGroup group(endpoint, run, count, threads, start_seq);
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + count / 5));
        write_all(to_parent, "R", 1);
        std::uint64_t range[2];
        read_all(from_parent, range, sizeof range);
        group.drain(range[1] == 0 ? start_seq : range[1]);
        group.stop();
        FanoutResult part;
        std::int64_t last_receipt = 0;
        group.add_to(part, range[0] == 0 ? 1 : range[0], range[0] == 0 ? 0 : range[1],
                     last_receipt);
        const std::uint64_t counts[] = {part.deliveries.received,
                                        part.deliveries.lost,
                                        part.deliveries.duplicated,
                                        part.deliveries.out_of_order,
                                        part.subscribers_traffic.bytes_sent,
                                        part.subscribers_traffic.bytes_received,
                                        part.subscribers_traffic.requests};
        write_all(to_parent, counts, sizeof counts);
        write_all(to_parent, &last_receipt, sizeof last_receipt);
        const std::vector<std::int64_t>& samples = part.latency.samples();
        const std::uint64_t size = samples.size();
        write_all(to_parent, &size, sizeof size);
        write_all(to_parent, samples.data(), samples.size() * sizeof(std::int64_t));
        _exit(0);
    } catch (...) {
        _exit(1);
    }
}

void collect(WorkerProcess& worker, FanoutResult& result, std::int64_t& last_receipt) {
    std::uint64_t counts[7];
    read_all(worker.from_worker, counts, sizeof counts);
    result.deliveries += DeliveryCounts{counts[0], counts[1], counts[2], counts[3]};
    result.subscribers_traffic += Traffic{counts[4], counts[5], counts[6]};
    std::int64_t receipt = 0;
    read_all(worker.from_worker, &receipt, sizeof receipt);
    last_receipt = std::max(last_receipt, receipt);
    std::uint64_t size = 0;
    read_all(worker.from_worker, &size, sizeof size);
    std::vector<std::int64_t> samples(size);
    read_all(worker.from_worker, samples.data(), size * sizeof(std::int64_t));
    for (std::int64_t sample : samples)
        result.latency.add(sample);
    ::close(worker.from_worker);
    ::close(worker.to_worker);
    int status = 0;
    waitpid(worker.pid, &status, 0);
}

}  // namespace

FanoutResult run_fanout(const FanoutOptions& options) {
    const auto endpoint = resolve_http_url(options.url);
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

    // Past one process's share, fork workers now, while this process has a single thread.
    const std::size_t per_process = std::max<std::size_t>(1, options.per_process);
    std::vector<WorkerProcess> workers;
    std::size_t own = options.subscribers;
    while (own > per_process) {
        const std::size_t share = std::min(per_process, own - per_process);
        int down[2];
        int up[2];
        if (pipe(down) != 0 || pipe(up) != 0) throw std::runtime_error("cannot make a pipe");
        const pid_t pid = fork();
        if (pid < 0) throw std::runtime_error("cannot fork a bench worker");
        if (pid == 0) {
            ::close(down[1]);
            ::close(up[0]);
            worker_main(down[0], up[1], endpoint, run, share, options.threads, start_seq);
        }
        ::close(down[0]);
        ::close(up[1]);
        workers.push_back(WorkerProcess{pid, down[1], up[0]});
        own -= share;
    }

    SubscriberGroup group(endpoint, run, own, options.threads, start_seq);
    // Long polls must be held before the first publish, or the first messages would be reads.
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + own / 5));
    for (auto& worker : workers) {
        char ready = 0;
        read_all(worker.from_worker, &ready, 1);
    }

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
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    {
        Progress progress(options.target + " " + options.transport, [&sent, total] {
            return total == 0 ? 1.0 : static_cast<double>(sent.load()) / static_cast<double>(total);
        });
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
    }
    publisher->close();

    // Drain: every subscriber reaches the last message, or the deadline passes.
    const std::uint64_t range[2] = {first, last};
    for (auto& worker : workers)
        write_all(worker.to_worker, range, sizeof range);
    group.drain(last == 0 ? start_seq : last);
    const auto cpu_after =
            options.server_pid ? process_cpu_seconds(*options.server_pid) : std::nullopt;
    group.stop();

    std::int64_t last_receipt = started_wall;
    group.add_to(result, first == 0 ? 1 : first, first == 0 ? 0 : last, last_receipt);
    for (auto& worker : workers)
        collect(worker, result, last_receipt);
    result.expected = result.published * options.subscribers;
    result.seconds = static_cast<double>(last_receipt - started_wall) / 1e6;
    if (cpu_before && cpu_after) result.server_cpu_seconds = *cpu_after - *cpu_before;
    return result;
}

}  // namespace herald::cli::bench
