#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "cli/bench/stats.hpp"
#include "cli/bench/subscriber.hpp"

namespace herald::cli::bench {

namespace beast = boost::beast;
namespace http = beast::http;

struct PublisherOptions {
    std::string target;  // the publish path: /v1/channels/{c}/messages, or Nchan's /pub/{c}
    bool nchan = false;  // the body is the payload itself, numbered by `n`, not by seq
    double rate = 50;    // messages a second; 0: as fast as the server accepts them
    double seconds = 5;
    /// Requests written and not yet answered, at most: enough to hide a commit's latency
    /// without piling up requests in the server's socket buffer.
    std::size_t window = 16;
    /// rate 0: publishing pauses while the slowest subscriber of `board` is this many messages
    /// behind. Under Herald's default history (1,000 messages) a resumed stream never finds a
    /// gap, and under its 1 MiB send queue no subscriber is dropped as slow: what is measured
    /// is the rate at which every subscriber receives everything, not how fast loss begins.
    std::uint64_t max_backlog = 256;
    ProgressBoard* board = nullptr;
};

/// Publishes `{"t":<wall micros>,"n":<number>}` messages over one keep-alive connection with
/// HTTP pipelining for `seconds`: paced by the clock at `rate` (catching up within the window
/// when late), or back to back when it is 0. One connection keeps Nchan's numbering in the
/// order the server stored the messages.
/// Thread: its io_context's, but for `sent`. Owned by its pending operations and its caller.
class Publisher : public std::enable_shared_from_this<Publisher> {
public:
    Publisher(net::io_context& context, net::ip::tcp::endpoint endpoint, PublisherOptions options);

    /// Connects and publishes; the io_context runs out of work when it is done.
    void start();

    std::atomic<std::uint64_t> sent{0};
    std::uint64_t accepted = 0;  // answered 200, 201 or 202
    std::uint64_t failed = 0;
    std::uint64_t first = 0;  // the lowest and highest numbers accepted
    std::uint64_t last = 0;
    double publishing_seconds = 0;  // from the first request to the last answer
    Traffic traffic;

private:
    using Clock = std::chrono::steady_clock;

    void on_connect(beast::error_code ec);
    void pump();
    bool sending_over() const;
    bool backlogged();
    void wait_until(Clock::time_point when);
    void queue_request();
    void do_write();
    void on_write(beast::error_code ec, std::size_t bytes);
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void fail();

    PublisherOptions options_;
    net::ip::tcp::endpoint endpoint_;
    beast::tcp_stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> parser_;
    std::string pending_;                   // requests made, not yet written
    std::string writing_;                   // the write in flight
    std::deque<std::uint64_t> unanswered_;  // numbers of the requests in flight, in order
    std::uint64_t next_ = 1;
    std::uint64_t total_ = 0;  // rate > 0: rate x seconds
    Clock::time_point started_;
    Clock::time_point deadline_;
    std::uint64_t slowest_ = 0;  // the slowest subscriber's progress, when last read
    bool reading_ = false;
    bool waiting_ = false;
    bool broken_ = false;
};

}  // namespace herald::cli::bench
