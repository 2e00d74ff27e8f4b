#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"

namespace herald::transport {

/// Ends TLS for one connection and carries its plaintext to an ordinary session over a
/// socket pair, so every session (HTTP, SSE, streams, WebSocket) keeps the plain descriptor it
/// waits on, reads without a buffer while idle and gather-writes in one call. The price is two
/// more descriptors and a copy through the kernel per TLS connection; see docs/SECURITY.md.
/// Thread: its shard's only. Owned by its pending operations.
class TlsTunnel final : public std::enable_shared_from_this<TlsTunnel> {
public:
    /// Called once, after the handshake, with the session's end of the pair.
    using OnPlaintext = std::function<void(runtime::Socket&&)>;

    TlsTunnel(runtime::Socket&& socket, boost::asio::ssl::context& context,
              std::chrono::milliseconds handshake_timeout, core::ServerMetrics& metrics);
    ~TlsTunnel();

    void start(OnPlaintext on_plaintext);

private:
    using Executor = boost::asio::io_context::executor_type;
    using LocalSocket =
            boost::asio::basic_stream_socket<boost::asio::local::stream_protocol, Executor>;
    // Clients mostly send small requests and frames: a small buffer, always there, since a TLS
    // read must own one while it waits. The fan-out direction moves a TLS record's worth at a
    // time, with a buffer made when the session has written and freed once it is sent.
    static constexpr std::size_t kFromClientBytes = 4 * 1024;
    static constexpr std::size_t kToClientBytes = 16 * 1024;

    void on_first_bytes(boost::system::error_code ec);
    /// Answers a plain HTTP request sent to the TLS port in plain HTTP, then closes.
    void refuse_plaintext();
    void on_handshake(boost::system::error_code ec);
    // Client to session.
    void do_read_client();
    void on_read_client(boost::system::error_code ec, std::size_t bytes);
    void on_wrote_session(boost::system::error_code ec);
    // Session to client.
    void do_read_session();
    void on_session_readable(boost::system::error_code ec);
    void on_wrote_client(boost::system::error_code ec);
    void close();

    boost::asio::ssl::stream<runtime::Socket> tls_;
    LocalSocket session_end_;  // ours; the session holds the other end
    boost::asio::steady_timer handshake_deadline_;
    std::chrono::milliseconds handshake_timeout_;
    core::ServerMetrics& metrics_;
    OnPlaintext on_plaintext_;
    std::unique_ptr<std::array<char, kFromClientBytes>> from_client_;  // after the handshake
    std::unique_ptr<std::array<char, kToClientBytes>> to_client_;      // only while sending
    bool closed_ = false;
};

}  // namespace herald::transport
