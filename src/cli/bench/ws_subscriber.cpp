#include "cli/bench/ws_subscriber.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>

#include "cli/bench/event_stream_parser.hpp"

namespace herald::cli::bench {

namespace {

namespace hybi13 = beast::websocket::detail;

constexpr std::string_view kHeraldMessage = R"({"type":"message",)";
constexpr std::string_view kHeraldSubscribed = R"({"type":"subscribed",)";

}  // namespace

WsSubscriber::WsSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint, Run& run,
                           std::uint64_t after, std::atomic<std::uint64_t>& progress)
    : Subscriber(run, progress, after),
      endpoint_(endpoint),
      socket_(context),
      timer_(context),
      cursor_(after) {}

void WsSubscriber::stop() {
    timer_.cancel();
    beast::error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

void WsSubscriber::do_connect() {
    if (run_.stopping) return;
    socket_.async_connect(
            endpoint_, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
}

void WsSubscriber::on_connect(beast::error_code ec) {
    if (ec) return reconnect();
    hybi13::sec_ws_key_type key;
    hybi13::make_sec_ws_key(key);
    key_.assign(key.data(), key.size());
    const std::string target = run_.nchan ? "/ws/" + run_.channel : "/v1/ws";
    request_ = std::make_unique<http::request<http::empty_body>>(http::verb::get, target, 11);
    request_->set(http::field::host, "herald-bench");
    request_->set(http::field::upgrade, "websocket");
    request_->set(http::field::connection, "Upgrade");
    request_->set(http::field::sec_websocket_version, "13");
    request_->set(http::field::sec_websocket_key, key_);
    if (!run_.nchan) request_->set(http::field::sec_websocket_protocol, "herald.v1");
    if (run_.deflate()) {
        request_->set(http::field::sec_websocket_extensions,
                      "permessage-deflate; client_no_context_takeover; server_no_context_takeover");
    }
    ++traffic.requests;
    http::async_write(socket_, *request_,
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t bytes) {
                          self->on_request_written(write_ec, bytes);
                      });
}

void WsSubscriber::on_request_written(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_sent += bytes;
    if (ec) return reconnect();
    response_.emplace();
    handshake_buffer_.clear();
    http::async_read(socket_, handshake_buffer_, *response_,
                     [self = shared_from_this()](beast::error_code read_ec, std::size_t read) {
                         self->on_response(read_ec, read);
                     });
}

bool WsSubscriber::upgraded() const {
    const auto& response = response_->get();
    if (response.result() != http::status::switching_protocols) return false;
    hybi13::sec_ws_accept_type accept;
    hybi13::make_sec_ws_accept(accept, key_);
    return response[http::field::sec_websocket_accept] ==
           beast::string_view(accept.data(), accept.size());
}

void WsSubscriber::on_response(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_received += bytes;
    if (ec || !upgraded()) return reconnect();
    // Frames the server sent right behind its 101 were read into the handshake's buffer.
    const auto leftover = handshake_buffer_.cdata();
    traffic.bytes_received += leftover.size();
    reader_.reset();
    // ws-deflate: frames may come compressed only if the server agreed.
    const bool compressed =
            run_.deflate() && response_->get()[http::field::sec_websocket_extensions].starts_with(
                                      "permessage-deflate");
    reader_.allow_compression(compressed);
    if (compressed && !inflater_) {
        inflater_ = std::make_unique<wire::websocket::Inflater>(/*no_context_takeover=*/true,
                                                                16 * kMiB);
    }
    reader_.append({static_cast<const char*>(leftover.data()), leftover.size()});
    handshake_buffer_ = beast::flat_buffer();
    response_.reset();
    request_.reset();
    if (run_.nchan) {
        // Nchan subscribes on the upgrade itself.
        if (!std::exchange(ever_connected_, true)) ++run_.connected;
    } else {
        send(encode_client_frame(ws::Opcode::text, R"({"type":"subscribe","channel":")" +
                                                           run_.channel + R"(","after":)" +
                                                           std::to_string(cursor_) + "}"));
    }
    do_read();
}

void WsSubscriber::do_read() {
    const std::span<char> room = reader_.prepare();
    socket_.async_read_some(net::buffer(room.data(), room.size()),
                            [self = shared_from_this()](beast::error_code ec, std::size_t read) {
                                self->on_read(ec, read);
                            });
}

void WsSubscriber::on_read(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_received += bytes;
    if (ec) return reconnect();
    reader_.commit(bytes);
    const std::int64_t now = wall_micros();  // one clock read per read, not per frame
    for (ServerFrame frame = reader_.next(); frame.status != ServerFrameStatus::need_more;
         frame = reader_.next()) {
        if (!handle(frame, now)) return reconnect();
    }
    do_read();
}

bool WsSubscriber::handle(const ServerFrame& frame, std::int64_t now) {
    switch (frame.status) {
        case ServerFrameStatus::text: {
            std::string_view text = frame.payload;
            if (frame.compressed) {
                if (!inflater_ ||
                    inflater_->inflate(text, inflated_) != wire::websocket::InflateStatus::ok) {
                    return false;
                }
                text = inflated_;
            }
            if (run_.nchan) {
                on_nchan_text(text, now);
            } else {
                on_herald_text(text, now);
            }
            return true;
        }
        case ServerFrameStatus::ping:
            send(encode_client_frame(ws::Opcode::pong, frame.payload));
            return true;
        case ServerFrameStatus::need_more:
        case ServerFrameStatus::binary:
        case ServerFrameStatus::pong: return true;
        // A close (a slow consumer's 1013, a restart) or a broken frame: the bench does not
        // answer the close, it resumes on a fresh connection.
        case ServerFrameStatus::close:
        case ServerFrameStatus::error: return false;
    }
    return false;
}

void WsSubscriber::on_herald_text(std::string_view json, std::int64_t now) {
    // Herald puts the type first (API.md frames): a prefix test sorts frames without parsing.
    if (json.starts_with(kHeraldMessage)) {
        std::uint64_t seq = 0;
        std::uint64_t sent = 0;
        if (!find_number(json, "\"seq\":", seq)) return;
        find_number(json, "\"t\":", sent);  // the bench's payload {"t":..,"n":..} under "data"
        record(seq, sent, now);
        cursor_ = std::max(cursor_, seq);
    } else if (json.starts_with(kHeraldSubscribed)) {
        if (!std::exchange(ever_connected_, true)) ++run_.connected;
    }
    // Gap objects are no messages: what they announce missing counts as lost.
}

void WsSubscriber::on_nchan_text(std::string_view json, std::int64_t now) {
    std::uint64_t number = 0;
    std::uint64_t sent = 0;
    if (!find_number(json, "\"n\":", number)) return;
    find_number(json, "\"t\":", sent);
    record(number, sent, now);
}

void WsSubscriber::send(std::string frame) {
    if (!writing_.empty()) {
        queued_ += frame;  // one write at a time; pongs are rare, so this barely queues
        return;
    }
    writing_ = std::move(frame);
    do_write();
}

void WsSubscriber::do_write() {
    net::async_write(socket_, net::buffer(writing_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                         self->on_write(ec, bytes);
                     });
}

void WsSubscriber::on_write(beast::error_code ec, std::size_t bytes) {
    traffic.bytes_sent += bytes;
    writing_.clear();
    // A failed write ends the connection; the pending read sees it and reconnects.
    if (ec) return queued_.clear();
    if (queued_.empty()) return;
    writing_.swap(queued_);
    do_write();
}

void WsSubscriber::reconnect() {
    beast::error_code ignored;
    socket_.close(ignored);
    if (run_.stopping) return;
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->do_connect();
    });
}

}  // namespace herald::cli::bench
