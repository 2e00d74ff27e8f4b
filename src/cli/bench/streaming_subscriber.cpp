#include "cli/bench/streaming_subscriber.hpp"

#include <algorithm>
#include <limits>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace herald::cli::bench {

namespace {

/// Body bytes taken from the parser per read. Large enough that a burst of queued events
/// (a subscriber catching up) takes a few reads, small enough for 10,000 idle streams.
constexpr std::size_t kBodyBytes = 8 * 1024;

}  // namespace

StreamingSubscriber::StreamingSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint,
                                         Run& run, std::uint64_t after,
                                         std::atomic<std::uint64_t>& progress)
    : Subscriber(run, progress, after),
      endpoint_(endpoint),
      stream_(context),
      timer_(context),
      cursor_(after) {}

void StreamingSubscriber::stop() {
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
}

std::string StreamingSubscriber::target() const {
    const bool sse = run_.transport == "sse";
    if (run_.nchan) return (sse ? "/es/" : "/stream/") + run_.channel;
    return "/v1/channels/" + run_.channel + (sse ? "/events" : "/stream") +
           "?after=" + std::to_string(cursor_);
}

void StreamingSubscriber::do_connect() {
    if (run_.stopping) return;
    request_ = {http::verb::get, target(), 11};
    request_.set(http::field::host, "herald-bench");
    // Nchan picks its EventSource subscriber by this header, as browsers send it.
    if (run_.transport == "sse") request_.set(http::field::accept, "text/event-stream");
    if (run_.nchan && !last_event_id_.empty()) request_.set("Last-Event-ID", last_event_id_);
    stream_.async_connect(
            endpoint_, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
}

void StreamingSubscriber::on_connect(beast::error_code ec) {
    if (ec) return reconnect();
    ++traffic.requests;
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t bytes) {
                          self->on_write(write_ec, bytes);
                      });
}

void StreamingSubscriber::on_write(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_sent += bytes;
    if (ec) return reconnect();
    buffer_.clear();
    buffer_.reserve(kBodyBytes);  // Beast reads at most the free capacity: keep reads large
    parser_.emplace();
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // the body never ends
    http::async_read_header(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code read_ec, std::size_t read) {
                self->on_header(read_ec, read);
            });
}

void StreamingSubscriber::on_header(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_received += bytes;
    if (ec || parser_->get().result_int() != 200) return reconnect();
    if (!std::exchange(ever_connected_, true)) ++run_.connected;
    if (!body_) body_ = std::make_unique<char[]>(kBodyBytes);
    do_read();
}

void StreamingSubscriber::do_read() {
    parser_->get().body().data = body_.get();
    parser_->get().body().size = kBodyBytes;
    // read_some: it returns as soon as the parser has made progress, so an event is recorded
    // when it arrives, not when the buffer fills.
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t read) {
                              self->on_read(ec, read);
                          });
}

void StreamingSubscriber::on_read(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_received += bytes;
    if (ec == http::error::need_buffer) ec = {};  // our body buffer is full: not an error
    const std::size_t got = kBodyBytes - parser_->get().body().size;
    if (got > 0) consume(std::string_view(body_.get(), got));
    // The server ended the response (error, slow consumer, restart): resume elsewhere.
    if (ec || parser_->is_done()) return reconnect();
    do_read();
}

void StreamingSubscriber::reconnect() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    if (run_.stopping) return;
    // A fresh response starts a fresh event stream; what was half-parsed is gone with it.
    sse_ = SseParser();
    lines_ = NdjsonParser();
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->do_connect();
    });
}

void StreamingSubscriber::consume(std::string_view bytes) {
    const std::int64_t now = wall_micros();  // one clock read per read, not per event
    if (run_.transport == "stream") {
        return lines_.feed(bytes, [this, now](std::string_view line) {
            if (run_.nchan) return on_nchan_payload(line, now);
            // Gap objects are no messages: what they announce missing counts as lost.
            if (line.find("\"type\":\"gap\"") == std::string_view::npos) {
                on_herald_message(line, now);
            }
        });
    }
    sse_.feed(bytes, [this, now](const SseEvent& event) {
        if (run_.nchan) {
            last_event_id_.assign(event.id);
            return on_nchan_payload(event.data, now);
        }
        if (event.event != "gap") on_herald_message(event.data, now);
    });
}

void StreamingSubscriber::on_herald_message(std::string_view json, std::int64_t now) {
    std::uint64_t seq = 0;
    std::uint64_t sent = 0;
    if (!find_number(json, "\"seq\":", seq)) return;
    find_number(json, "\"t\":", sent);  // the bench's payload {"t":..,"n":..} under "data"
    record(seq, sent, now);
    cursor_ = std::max(cursor_, seq);
}

void StreamingSubscriber::on_nchan_payload(std::string_view json, std::int64_t now) {
    std::uint64_t number = 0;
    std::uint64_t sent = 0;
    if (!find_number(json, "\"n\":", number)) return;
    find_number(json, "\"t\":", sent);
    record(number, sent, now);
}

}  // namespace herald::cli::bench
