#include "cli/bench/publisher.hpp"

#include <algorithm>

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include "cli/bench/event_stream_parser.hpp"

namespace herald::cli::bench {

Publisher::Publisher(net::io_context& context, net::ip::tcp::endpoint endpoint,
                     PublisherOptions options)
    : options_(std::move(options)), endpoint_(endpoint), stream_(context), timer_(context) {
    if (options_.rate > 0) total_ = static_cast<std::uint64_t>(options_.rate * options_.seconds);
}

void Publisher::start() {
    stream_.async_connect(
            endpoint_, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
}

void Publisher::on_connect(beast::error_code ec) {
    if (ec) return fail();
    beast::error_code ignored;
    stream_.socket().set_option(net::ip::tcp::no_delay(true), ignored);
    started_ = Clock::now();
    deadline_ = started_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options_.seconds));
    pump();
}

bool Publisher::sending_over() const {
    // Paced, a run that cannot keep up still ends on time: it shows as a lower published rate.
    return broken_ || (options_.rate > 0 && next_ > total_) || Clock::now() >= deadline_;
}

bool Publisher::backlogged() {
    if (options_.board == nullptr || options_.max_backlog == 0) return false;
    if (last <= slowest_ + options_.max_backlog) return false;
    slowest_ = options_.board->lowest(0, options_.board->size());  // read again only when due
    return last > slowest_ + options_.max_backlog;
}

/// Makes every request that is due and fits the window, then keeps a write and a read going.
void Publisher::pump() {
    while (unanswered_.size() < options_.window && !sending_over()) {
        if (options_.rate > 0) {
            const auto due =
                    started_ +
                    std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                            static_cast<double>(next_ - 1) / options_.rate));
            if (Clock::now() < due) {
                wait_until(due);
                break;
            }
        } else if (backlogged()) {
            wait_until(Clock::now() + std::chrono::microseconds(200));
            break;
        }
        queue_request();
    }
    if (!pending_.empty() && writing_.empty()) do_write();
    if (!unanswered_.empty() && !reading_) do_read();
    // Nothing in flight, nothing more to send: done; the io_context runs out of work.
    if (unanswered_.empty() && sending_over() && !waiting_) {
        timer_.cancel();
        beast::error_code ignored;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }
}

void Publisher::wait_until(Clock::time_point when) {
    if (std::exchange(waiting_, true)) return;
    timer_.expires_at(when);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        self->waiting_ = false;
        if (!ec) self->pump();
    });
}

void Publisher::queue_request() {
    const std::uint64_t n = next_++;
    // Stamped when made, which is when it is due: a late request shows as latency.
    const std::string payload =
            "{\"t\":" + std::to_string(wall_micros()) + ",\"n\":" + std::to_string(n) + "}";
    const std::string body = options_.nchan ? payload : "{\"data\":" + payload + "}";
    pending_ += "POST " + options_.target +
                " HTTP/1.1\r\nHost: herald-bench\r\nContent-Type: application/json\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
    unanswered_.push_back(n);
    ++sent;
    ++traffic.requests;
}

void Publisher::do_write() {
    writing_.swap(pending_);  // everything made since the last write goes in one
    net::async_write(stream_, net::buffer(writing_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                         self->on_write(ec, bytes);
                     });
}

void Publisher::on_write(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_sent += bytes;
    writing_.clear();
    if (ec) return fail();
    pump();
}

void Publisher::do_read() {
    reading_ = true;
    parser_.emplace();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                         self->on_read(ec, bytes);
                     });
}

void Publisher::on_read(beast::error_code ec, std::size_t bytes) {
    reading_ = false;
    traffic.bytes_received += bytes;
    if (ec) return fail();
    const std::uint64_t n = unanswered_.front();
    unanswered_.pop_front();
    const auto& answer = parser_->get();
    const unsigned status = answer.result_int();
    std::uint64_t number = n;  // Nchan: the publisher's number; Herald: the seq it got
    if (status < 200 || status > 202 ||
        (!options_.nchan && !find_number(answer.body(), "\"seq\":", number))) {
        ++failed;
    } else {
        ++accepted;
        first = first == 0 ? number : std::min(first, number);
        last = std::max(last, number);
    }
    publishing_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    pump();
}

void Publisher::fail() {
    // The connection is gone: whatever was in flight is lost; stop publishing.
    broken_ = true;
    failed += unanswered_.size() + (started_ == Clock::time_point{} ? 1 : 0);
    unanswered_.clear();
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
}

}  // namespace herald::cli::bench
