#include "transport/tls/tls_tunnel.hpp"

#include <string>
#include <utility>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/write.hpp>

#include "transport/common/disconnect.hpp"

namespace herald::transport {

namespace net = boost::asio;
namespace ssl = net::ssl;

TlsTunnel::TlsTunnel(runtime::Socket&& socket, ssl::context& context,
                     std::chrono::milliseconds handshake_timeout, core::ServerMetrics& metrics)
    : tls_(std::move(socket), context),
      session_end_(tls_.get_executor()),
      handshake_deadline_(tls_.get_executor()),
      handshake_timeout_(handshake_timeout),
      metrics_(metrics) {
    metrics_.tls_connections.inc();
}

TlsTunnel::~TlsTunnel() {
    metrics_.tls_connections.dec();
}

void TlsTunnel::start(OnPlaintext on_plaintext) {
    on_plaintext_ = std::move(on_plaintext);
    // A client that connects and never finishes its handshake holds a connection like a
    // slowloris: it gets as long as a whole request (http.request_timeout).
    handshake_deadline_.expires_after(handshake_timeout_);
    handshake_deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->closed_) return;
        self->metrics_.tls_handshake_failures.inc();
        self->close();
    });
    tls_.next_layer().async_wait(net::socket_base::wait_read,
                                 [self = shared_from_this()](boost::system::error_code ec) {
                                     self->on_first_bytes(ec);
                                 });
}

void TlsTunnel::on_first_bytes(boost::system::error_code ec) {
    if (closed_) return;
    if (ec) return close();
    // Every TLS connection opens with a handshake record (content type 22). Anything else is
    // most likely http:// sent to an https port: say so, as nginx does, instead of letting
    // the client guess from a reset.
    constexpr unsigned char kHandshakeRecord = 22;
    unsigned char first = 0;
    const ssize_t n = ::recv(tls_.next_layer().native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 1 && first != kHandshakeRecord) return refuse_plaintext();
    tls_.async_handshake(ssl::stream_base::server,
                         [self = shared_from_this()](boost::system::error_code handshake_ec) {
                             self->on_handshake(handshake_ec);
                         });
}

void TlsTunnel::refuse_plaintext() {
    handshake_deadline_.cancel();
    metrics_.tls_handshake_failures.inc();
    static const std::string kRefusal = [] {
        const std::string body =
                R"({"error":{"code":"bad_request","message":"this port speaks TLS: use https:// or wss://"}})";
        return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }();
    net::async_write(tls_.next_layer(), net::buffer(kRefusal),
                     [self = shared_from_this()](boost::system::error_code, std::size_t) {
                         // Unread request bytes would turn the close into a reset, and a
                         // reset can destroy the answer before the client reads it.
                         char discard[4096];
                         const int fd = self->tls_.next_layer().native_handle();
                         while (::recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0) {
                         }
                         self->close();
                     });
}

void TlsTunnel::on_handshake(boost::system::error_code ec) {
    handshake_deadline_.cancel();
    if (closed_) return;
    if (ec) {
        metrics_.tls_handshake_failures.inc();
        spdlog::debug("tls: handshake failed: {}", ec.message());
        return close();
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        spdlog::warn("tls: cannot make a socket pair: {}; closing the connection",
                     std::system_category().message(errno));
        return close();
    }
    runtime::Socket plaintext(tls_.get_executor());
    session_end_.assign(net::local::stream_protocol(), pair[0], ec);
    // The session's end is typed as TCP: it only waits, reads, writes and shuts down, which a
    // Unix stream socket does the same way.
    if (!ec) plaintext.assign(runtime::tcp::v4(), pair[1], ec);
    if (ec) {
        ::close(pair[1]);
        spdlog::warn("tls: cannot use a socket pair: {}; closing the connection", ec.message());
        return close();
    }
    from_client_ = std::make_unique<std::array<char, kFromClientBytes>>();
    do_read_client();
    do_read_session();
    std::exchange(on_plaintext_, nullptr)(std::move(plaintext));
}

void TlsTunnel::do_read_client() {
    tls_.async_read_some(
            net::buffer(*from_client_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                self->on_read_client(ec, bytes);
            });
}

void TlsTunnel::on_read_client(boost::system::error_code ec, std::size_t bytes) {
    if (closed_) return;
    if (ec) {
        // The client is gone or said close_notify: the session reads an end of stream and
        // closes its end, which closes the tunnel.
        if (!is_normal_disconnect(ec) && ec != ssl::error::stream_truncated) {
            spdlog::debug("tls: read failed: {}", ec.message());
        }
        boost::system::error_code ignored;
        session_end_.shutdown(net::socket_base::shutdown_send, ignored);
        return;
    }
    net::async_write(session_end_, net::buffer(from_client_->data(), bytes),
                     [self = shared_from_this()](boost::system::error_code write_ec, std::size_t) {
                         self->on_wrote_session(write_ec);
                     });
}

void TlsTunnel::on_wrote_session(boost::system::error_code ec) {
    if (ec) return close();
    do_read_client();
}

void TlsTunnel::do_read_session() {
    // Wait first, read after: an idle tunnel holds no buffer for this direction.
    session_end_.async_wait(net::socket_base::wait_read,
                            [self = shared_from_this()](boost::system::error_code ec) {
                                self->on_session_readable(ec);
                            });
}

void TlsTunnel::on_session_readable(boost::system::error_code ec) {
    if (ec) return close();
    if (!to_client_) to_client_ = std::make_unique<std::array<char, kToClientBytes>>();
    const std::size_t bytes = session_end_.read_some(net::buffer(*to_client_), ec);
    if (ec == net::error::would_block) return do_read_session();
    if (ec) return close();  // the session closed its end after its last byte
    net::async_write(tls_, net::buffer(to_client_->data(), bytes),
                     [self = shared_from_this()](boost::system::error_code write_ec, std::size_t) {
                         self->on_wrote_client(write_ec);
                     });
}

void TlsTunnel::on_wrote_client(boost::system::error_code ec) {
    if (ec) return close();
    to_client_.reset();
    do_read_session();
}

void TlsTunnel::close() {
    if (std::exchange(closed_, true)) return;
    // No close_notify: every response is framed (Content-Length, chunks, events, WebSocket
    // close frames), so a client cannot take a cut stream for a whole one, and waiting for the
    // peer's close_notify would hold the connection open for nothing.
    boost::system::error_code ignored;
    auto& socket = tls_.next_layer();
    socket.shutdown(net::socket_base::shutdown_both, ignored);
    socket.close(ignored);
    session_end_.close(ignored);
    handshake_deadline_.cancel();
}

}  // namespace herald::transport
