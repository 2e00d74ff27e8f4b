#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "cli/bench/stats.hpp"

namespace herald::cli::bench {

namespace net = boost::asio;

/// Microseconds since the Unix epoch: the clock the publisher stamps into each message.
std::int64_t wall_micros();

/// The highest message number each subscriber has received, in memory shared with the worker
/// processes (made before they fork): the publisher reads how far behind the slowest one is,
/// and the drain waits for all of them.
/// Thread: any; slots are lock-free atomics, which also work across processes.
class ProgressBoard {
public:
    explicit ProgressBoard(std::size_t subscribers);
    ~ProgressBoard();
    ProgressBoard(const ProgressBoard&) = delete;
    ProgressBoard& operator=(const ProgressBoard&) = delete;

    std::atomic<std::uint64_t>& slot(std::size_t subscriber) { return slots_[subscriber]; }
    /// The lowest slot of `first` .. `first + count - 1`.
    std::uint64_t lowest(std::size_t first, std::size_t count) const;
    std::size_t size() const { return size_; }

private:
    std::atomic<std::uint64_t>* slots_ = nullptr;
    std::size_t size_ = 0;
};

/// What every subscriber of a run shares: the target, the transport and the stop flag.
/// Set before subscribers start; the atomics change while they run.
struct Run {
    bool nchan = false;
    std::string channel;
    std::string transport;  // poll | longpoll | sse | stream | ws | ws-deflate
    std::chrono::milliseconds poll_interval{1000};
    /// Streams that got their response headers, WebSockets that are subscribed.
    std::atomic<std::size_t> connected{0};
    std::atomic<bool> stopping{false};

    bool long_poll() const { return transport == "longpoll"; }
    /// One held connection per subscriber, which says when it is in place (`connected`).
    bool streaming() const { return transport == "sse" || transport == "stream" || websocket(); }
    bool websocket() const { return transport == "ws" || deflate(); }
    /// ws-deflate: a WebSocket that offers permessage-deflate and inflates what it gets.
    bool deflate() const { return transport == "ws-deflate"; }
};

/// One subscriber of a transport: what every transport's client records. Against Herald a
/// message is numbered by its seq, against Nchan by the publisher's `n` in the payload.
/// Thread: its io_context's, but for `progress`.
class Subscriber {
public:
    /// Starts after message `after`: its progress says so until a message arrives.
    Subscriber(Run& run, std::atomic<std::uint64_t>& progress, std::uint64_t after)
        : run_(run), progress_(progress) {
        progress_.store(after);
    }
    virtual ~Subscriber() = default;
    virtual void start() = 0;
    virtual void stop() = 0;

    LatencySamples latency;
    DeliveryCheck check;
    Traffic traffic;
    std::int64_t last_receipt = 0;

protected:
    /// Records message `number`, sent at `sent_micros` (0: unknown), received `now`.
    void record(std::uint64_t number, std::uint64_t sent_micros, std::int64_t now);

    Run& run_;
    std::atomic<std::uint64_t>& progress_;
};

/// The subscriber of `run`'s transport, starting after message `after`.
std::shared_ptr<Subscriber> make_subscriber(net::io_context& context,
                                            net::ip::tcp::endpoint endpoint, Run& run,
                                            std::uint64_t after,
                                            std::atomic<std::uint64_t>& progress);

}  // namespace herald::cli::bench
