#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "cli/http_client.hpp"

namespace herald::cli {

namespace websocket = beast::websocket;

/// A blocking WebSocket client on Beast's websocket::stream, for `herald sub --transport ws` and
/// `herald pub --ws`: a handful of frames per second, so simplicity beats cost here (the bench
/// has its own reader). Beast answers the server's pings while a read waits, which keeps the
/// connection alive past the server's two missed pongs.
/// Thread: its owner's; one connection at a time, a fresh one per connect().
class WsClient {
public:
    /// `base_url` like "http://127.0.0.1:8080"; throws std::invalid_argument when it is not.
    WsClient(const std::string& base_url, std::string token);

    /// Connects and upgrades at /v1/ws, offering subprotocol herald.v1. On failure returns false
    /// and sets `error`; `refused_status` is the HTTP status when the server answered the
    /// upgrade with one (401, 403, 5xx), 0 when it did not answer at all.
    bool connect(std::string& error, unsigned& refused_status);
    /// Sends one text frame.
    bool send(std::string_view text, std::string& error);
    /// The next text message; nothing, with `error` set, when the connection ended or failed.
    std::optional<std::string> read(std::string& error);
    /// Sends a normal close and waits for the server's, so neither side sees a reset.
    void close();

private:
    void drop();

    boost::asio::io_context context_;
    std::optional<websocket::stream<beast::tcp_stream>> stream_;
    beast::flat_buffer buffer_;
    ServerAddress address_;
    std::string token_;
};

}  // namespace herald::cli
