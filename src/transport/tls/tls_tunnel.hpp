#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <openssl/ssl.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"
#include "util/counted_slot.hpp"

namespace herald::transport {

/// Ends TLS for one connection and carries its plaintext to an ordinary session over a
/// socket pair, so every session (HTTP, SSE, streams, WebSocket) keeps the plain descriptor it
/// waits on, reads without a buffer while idle and gather-writes in one call.
///
/// OpenSSL reads and writes the TCP socket itself (non-blocking); the tunnel only waits for
/// readiness and moves bytes through a buffer on its stack. Bytes are held on the heap only while
/// one side cannot take them, so an idle tunnel costs OpenSSL's connection state and no buffer
/// (SSL_MODE_RELEASE_BUFFERS). The price: two more descriptors and a copy through the kernel per
/// TLS connection; see docs/SECURITY.md.
/// Thread: its shard's only. Owned by its pending waits.
class TlsTunnel final : public std::enable_shared_from_this<TlsTunnel> {
public:
    /// Called once, after the handshake, with the session's end of the pair.
    using OnPlaintext = std::function<void(runtime::Socket&&)>;

    /// `address_slot`: the connection's place in its address's count, held until it ends.
    TlsTunnel(runtime::Socket&& socket, CountedSlot address_slot,
              boost::asio::ssl::context& context, std::chrono::milliseconds handshake_timeout,
              core::ShardMetrics& metrics);
    ~TlsTunnel();

    void start(OnPlaintext on_plaintext);

private:
    using Executor = boost::asio::io_context::executor_type;
    using LocalSocket =
            boost::asio::basic_stream_socket<boost::asio::local::stream_protocol, Executor>;

    /// What one step of one direction did.
    enum class Step { moved, blocked, over };
    /// What the last pump could not do without waiting.
    struct Needs {
        bool client_readable = false;
        bool client_writable = false;
        bool session_readable = false;
        bool session_writable = false;
    };

    void on_first_bytes(boost::system::error_code ec);
    /// Answers a plain HTTP request sent to the TLS port in plain HTTP, then closes.
    void refuse_plaintext();
    /// Moves every byte it can without blocking, both ways, then waits for what it needs.
    void pump();
    bool handshake(Needs& needs);
    Step client_to_session(char* scratch, std::size_t size, Needs& needs);
    Step session_to_client(char* scratch, std::size_t size, Needs& needs);
    /// Decides what an SSL_* call's failure means; false: the connection is over.
    bool on_ssl_result(int result, Needs& needs);
    void wait(Needs needs);
    void close();

    runtime::Socket client_;
    CountedSlot address_slot_;
    LocalSocket session_end_;  // ours; the session holds the other end
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
    boost::asio::steady_timer handshake_deadline_;
    std::chrono::milliseconds handshake_timeout_;
    core::ShardMetrics& metrics_;
    OnPlaintext on_plaintext_;
    std::string to_session_;  // decrypted bytes the session's end could not take yet
    std::string to_client_;   // plaintext OpenSSL has not taken yet (retried as is)
    Needs waiting_;           // the waits pending now
    bool handshake_done_ = false;
    bool client_ended_ = false;   // close_notify or end of stream: the session gets its end
    bool session_ended_ = false;  // the session closed its end: close once flushed
    bool closed_ = false;
};

}  // namespace herald::transport
