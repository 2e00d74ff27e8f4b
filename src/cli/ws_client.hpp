#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "cli/client_stream.hpp"

namespace herald::cli {

namespace websocket = beast::websocket;

/// A blocking WebSocket client (ws, or wss for an https --url) on Beast's websocket::stream, for
/// `herald sub --transport ws` and `herald pub --ws`: a handful of frames per second, so simplicity
/// beats cost here (the bench has its own reader). Beast answers the server's pings while a read
/// waits, which keeps the connection alive past the server's two missed pongs. Thread: its owner's;
/// one connection at a time, a fresh one per connect().
class WsClient {
public:
    /// Throws std::invalid_argument for a bad --url or --cacert (see make_endpoint).
    explicit WsClient(const ClientOptions& options);

    /// Connects and upgrades at /v1/ws, offering subprotocol herald.v1. On failure returns false
    /// and sets `error`, `lasting` when the server refused the upgrade with a 4xx (401, 403) or
    /// the TLS handshake failed.
    [[nodiscard]] bool connect(ClientError& error);
    /// Sends one text frame.
    [[nodiscard]] bool send(std::string_view text, ClientError& error);
    /// The next text message; nothing, with `error` set, when the connection ended or failed.
    std::optional<std::string> read(ClientError& error);
    /// Sends a normal close and waits for the server's, so neither side sees a reset.
    void close();

private:
    void drop();

    net::io_context context_;
    Endpoint endpoint_;
    std::optional<websocket::stream<ClientStream>> stream_;
    beast::flat_buffer buffer_;
    std::string token_;
};

}  // namespace herald::cli
