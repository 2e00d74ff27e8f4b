#include "transport/tls/tls_tunnel.hpp"

#include <cerrno>
#include <string>
#include <utility>

#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>

#include "transport/common/refusal.hpp"

namespace herald::transport {

namespace net = boost::asio;

namespace {

/// Bytes moved per direction per step: one TLS record's plaintext.
constexpr std::size_t kScratchBytes = 16 * 1024;
/// Steps one pump may take before it lets the shard's other work run.
constexpr int kMaxStepsPerPump = 64;

bool would_block() {
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

/// OpenSSL's reason for the last failure on this thread, for a debug log line.
std::string ssl_reason() {
    char text[256];
    ERR_error_string_n(ERR_peek_last_error(), text, sizeof text);
    return text;
}

}  // namespace

TlsTunnel::TlsTunnel(runtime::Socket&& socket, CountedSlot address_slot, net::ssl::context& context,
                     std::chrono::milliseconds handshake_timeout, core::ShardMetrics& metrics)
    : client_(std::move(socket)),
      address_slot_(std::move(address_slot)),
      session_end_(client_.get_executor()),
      ssl_(SSL_new(context.native_handle()), &SSL_free),
      handshake_deadline_(client_.get_executor()),
      handshake_timeout_(handshake_timeout),
      metrics_(metrics) {
    metrics_.tls_connections.inc();
    metrics_.tls_handshakes.inc();
}

TlsTunnel::~TlsTunnel() {
    if (!handshake_done_) metrics_.tls_handshakes.dec();
    metrics_.tls_connections.dec();
}

void TlsTunnel::start(OnPlaintext on_plaintext) {
    on_plaintext_ = std::move(on_plaintext);
    boost::system::error_code ec;
    client_.native_non_blocking(true, ec);
    if (ec || !ssl_ || SSL_set_fd(ssl_.get(), client_.native_handle()) != 1) {
        ERR_clear_error();
        spdlog::warn("tls: cannot set up a connection; closing it");
        return close();
    }
    SSL_set_accept_state(ssl_.get());
    // A write OpenSSL could not finish is retried from to_client_, not from the stack buffer
    // it started from; and one record written is progress enough.
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // A client that connects and never finishes its handshake holds a connection like a
    // slowloris: it gets as long as a whole request (http.request_timeout).
    handshake_deadline_.expires_after(handshake_timeout_);
    handshake_deadline_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (wait_ec || self->closed_) return;
        self->metrics_.tls_handshake_failures.inc();
        self->close();
    });
    client_.async_wait(net::socket_base::wait_read,
                       [self = shared_from_this()](boost::system::error_code wait_ec) {
                           self->on_first_bytes(wait_ec);
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
    const ssize_t n = ::recv(client_.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 1 && first != kHandshakeRecord) return refuse_plaintext();
    pump();
}

void TlsTunnel::refuse_plaintext() {
    handshake_deadline_.cancel();
    metrics_.tls_handshake_failures.inc();
    static const std::string kRefusal = closing_error_answer(
            "400 Bad Request", "", "bad_request", "this port speaks TLS: use https:// or wss://");
    refuse_connection(client_, kRefusal);
    close();
}

void TlsTunnel::pump() {
    if (closed_) return;
    Needs needs;
    if (!handshake_done_) {
        if (!handshake(needs)) return close();
        if (!handshake_done_) return wait(needs);
    }
    char scratch[kScratchBytes];
    for (int step = 0; step < kMaxStepsPerPump; ++step) {
        needs = Needs{};
        const Step in = client_to_session(scratch, sizeof scratch, needs);
        if (in == Step::over) return close();
        const Step out = session_to_client(scratch, sizeof scratch, needs);
        if (out == Step::over) return close();
        if (in == Step::blocked && out == Step::blocked) return wait(needs);
    }
    // Still moving: yield to the shard's other connections, then go on.
    net::post(client_.get_executor(), [self = shared_from_this()] { self->pump(); });
}

bool TlsTunnel::handshake(Needs& needs) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_.get());
    if (result != 1) {
        const int error = SSL_get_error(ssl_.get(), result);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
            metrics_.tls_handshake_failures.inc();
            spdlog::debug("tls: handshake failed: {}", ssl_reason());
            ERR_clear_error();
            return false;
        }
        needs.client_readable = error == SSL_ERROR_WANT_READ;
        needs.client_writable = error == SSL_ERROR_WANT_WRITE;
        return true;
    }
    handshake_done_ = true;
    metrics_.tls_handshakes.dec();  // the session counts the connection from now on
    handshake_deadline_.cancel();
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        spdlog::warn("tls: cannot make a socket pair: {}; closing the connection",
                     std::system_category().message(errno));
        return false;
    }
    boost::system::error_code ec;
    runtime::Socket plaintext(client_.get_executor());
    session_end_.assign(net::local::stream_protocol(), pair[0], ec);
    // The session's end is typed as TCP: it only waits, reads, writes and shuts down, which a
    // Unix stream socket does the same way.
    if (!ec) plaintext.assign(runtime::tcp::v4(), pair[1], ec);
    if (ec) {
        ::close(pair[1]);
        spdlog::warn("tls: cannot use a socket pair: {}; closing the connection", ec.message());
        return false;
    }
    std::exchange(on_plaintext_, nullptr)(std::move(plaintext));
    return true;
}

bool TlsTunnel::on_ssl_result(int result, Needs& needs) {
    switch (SSL_get_error(ssl_.get(), result)) {
        case SSL_ERROR_WANT_READ: needs.client_readable = true; return true;
        case SSL_ERROR_WANT_WRITE: needs.client_writable = true; return true;
        default:
            spdlog::debug("tls: connection failed: {}", ssl_reason());
            ERR_clear_error();
            return false;
    }
}

TlsTunnel::Step TlsTunnel::client_to_session(char* scratch, std::size_t size, Needs& needs) {
    const int session = session_end_.native_handle();
    if (!to_session_.empty()) {
        const ssize_t sent = ::send(session, to_session_.data(), to_session_.size(),
                                    MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && would_block()) {
            needs.session_writable = true;
            return Step::blocked;
        }
        if (sent < 0) return Step::over;  // the session is gone
        to_session_.erase(0, static_cast<std::size_t>(sent));
        if (to_session_.empty()) std::string().swap(to_session_);  // idle holds no buffer
        return Step::moved;
    }
    if (client_ended_) return Step::blocked;
    ERR_clear_error();
    const int read = SSL_read(ssl_.get(), scratch, static_cast<int>(size));
    if (read <= 0) {
        if (SSL_get_error(ssl_.get(), read) == SSL_ERROR_ZERO_RETURN) {
            // close_notify, or the end of the stream (SSL_OP_IGNORE_UNEXPECTED_EOF): the
            // session reads its end of stream, answers what it holds and closes.
            client_ended_ = true;
            ::shutdown(session, SHUT_WR);
            return Step::moved;
        }
        return on_ssl_result(read, needs) ? Step::blocked : Step::over;
    }
    ssize_t sent =
            ::send(session, scratch, static_cast<std::size_t>(read), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && !would_block()) return Step::over;
    if (sent < 0) sent = 0;
    if (sent < read) to_session_.assign(scratch + sent, scratch + read);
    return Step::moved;
}

TlsTunnel::Step TlsTunnel::session_to_client(char* scratch, std::size_t size, Needs& needs) {
    if (!to_client_.empty()) {
        ERR_clear_error();
        const int written =
                SSL_write(ssl_.get(), to_client_.data(), static_cast<int>(to_client_.size()));
        if (written <= 0) return on_ssl_result(written, needs) ? Step::blocked : Step::over;
        to_client_.erase(0, static_cast<std::size_t>(written));
        if (to_client_.empty()) std::string().swap(to_client_);
        return Step::moved;
    }
    const ssize_t got = ::recv(session_end_.native_handle(), scratch, size, MSG_DONTWAIT);
    if (got < 0 && would_block()) {
        needs.session_readable = true;
        return Step::blocked;
    }
    if (got <= 0) {
        session_ended_ = true;  // everything it wrote is sent: to_client_ is empty
        return Step::over;
    }
    ERR_clear_error();
    const int written = SSL_write(ssl_.get(), scratch, static_cast<int>(got));
    if (written <= 0) {
        // OpenSSL must be given these same bytes again: keep them.
        to_client_.assign(scratch, scratch + got);
        return on_ssl_result(written, needs) ? Step::blocked : Step::over;
    }
    if (written < got) to_client_.assign(scratch + written, scratch + got);
    return Step::moved;
}

void TlsTunnel::wait(Needs needs) {
    const auto arm = [this](bool needed, bool& pending, auto& socket,
                            net::socket_base::wait_type type) {
        if (!needed || pending) return;
        pending = true;
        socket.async_wait(type,
                          [self = shared_from_this(), &pending](boost::system::error_code ec) {
                              pending = false;
                              if (self->closed_) return;
                              if (ec) return self->close();
                              self->pump();
                          });
    };
    arm(needs.client_readable, waiting_.client_readable, client_, net::socket_base::wait_read);
    arm(needs.client_writable, waiting_.client_writable, client_, net::socket_base::wait_write);
    arm(needs.session_readable, waiting_.session_readable, session_end_,
        net::socket_base::wait_read);
    arm(needs.session_writable, waiting_.session_writable, session_end_,
        net::socket_base::wait_write);
}

void TlsTunnel::close() {
    if (std::exchange(closed_, true)) return;
    if (handshake_done_ && session_ended_) {
        // The session finished: tell the client with close_notify if the socket takes it now,
        // without waiting for the client's own.
        ERR_clear_error();
        SSL_shutdown(ssl_.get());
        ERR_clear_error();
    }
    boost::system::error_code ignored;
    client_.shutdown(net::socket_base::shutdown_both, ignored);
    client_.close(ignored);
    session_end_.close(ignored);
    handshake_deadline_.cancel();
}

}  // namespace herald::transport
