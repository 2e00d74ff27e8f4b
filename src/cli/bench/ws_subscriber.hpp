#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "cli/bench/subscriber.hpp"
#include "cli/bench/ws_client_frames.hpp"
#include "wire/websocket/inflater.hpp"

namespace herald::cli::bench {

namespace beast = boost::beast;
namespace http = beast::http;

/// One WebSocket subscriber. The upgrade is a Beast HTTP request and response (101 and
/// Sec-WebSocket-Accept checked); after it, frames are read in large chunks by
/// ServerFrameReader, not by Beast's websocket::stream, which cost more per message than the
/// server did at saturation. Against Herald it upgrades at /v1/ws (herald.v1) and sends a
/// subscribe frame with `after`; it counts as connected on `subscribed`. Against Nchan it
/// upgrades at /ws/CHANNEL and each text frame is one published payload; Nchan cannot resume
/// there, so what it missed while reconnecting shows as lost. Pings get a masked pong; a close
/// frame or a failure reconnects (Herald: after the last seq received). Every byte read and
/// written counts into `traffic`.
/// Thread: its io_context's. Owned by its pending operations and its group.
class WsSubscriber final : public Subscriber, public std::enable_shared_from_this<WsSubscriber> {
public:
    WsSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint, Run& run,
                 std::uint64_t after, std::atomic<std::uint64_t>& progress);

    void start() override { do_connect(); }
    void stop() override;

private:
    void do_connect();
    void on_connect(beast::error_code ec);
    void on_request_written(beast::error_code ec, std::size_t bytes);
    void on_response(beast::error_code ec, std::size_t bytes);
    [[nodiscard]] bool upgraded() const;
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    /// False when the connection is over (close frame, protocol error).
    [[nodiscard]] bool handle(const ServerFrame& frame, std::int64_t now);
    void on_herald_text(std::string_view json, std::int64_t now);
    void on_nchan_text(std::string_view json, std::int64_t now);
    void send(std::string frame);
    void do_write();
    void on_write(beast::error_code ec, std::size_t bytes);
    void reconnect();

    net::ip::tcp::endpoint endpoint_;
    net::ip::tcp::socket socket_;
    net::steady_timer timer_;
    // The upgrade; freed once it is done.
    std::unique_ptr<http::request<http::empty_body>> request_;
    std::optional<http::response_parser<http::string_body>> response_;
    beast::flat_buffer handshake_buffer_;
    std::string key_;
    // Frames.
    ServerFrameReader reader_;
    std::unique_ptr<wire::websocket::Inflater> inflater_;  // ws-deflate, once agreed
    std::string inflated_;
    std::string writing_;  // a frame being written
    std::string queued_;   // frames to write after it
    std::uint64_t cursor_;
    bool ever_connected_ = false;
};

}  // namespace herald::cli::bench
