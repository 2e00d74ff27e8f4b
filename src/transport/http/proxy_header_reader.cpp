#include "transport/http/proxy_header_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "transport/http/proxy_protocol.hpp"
#include "util/ip_network.hpp"

namespace herald::transport {

namespace net = boost::asio;

namespace {

bool would_block() {
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

/// The first bytes a client sent, printable, for a log line: "GET /v1/chan..." tells an
/// operator at once that the balancer sends no PROXY header.
std::string excerpt(std::string_view bytes) {
    constexpr std::size_t kShown = 24;
    std::string text;
    for (char c : bytes.substr(0, kShown)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F && c != '\\') {
            text += c;
        } else {
            constexpr char kHex[] = "0123456789abcdef";
            text.append("\\x").append(1, kHex[byte >> 4]).append(1, kHex[byte & 0xF]);
        }
    }
    if (bytes.size() > kShown) text += "...";
    return text;
}

}  // namespace

ProxyHeaderReader::ProxyHeaderReader(runtime::Socket&& socket, std::chrono::milliseconds timeout,
                                     core::ShardMetrics& metrics)
    : socket_(std::move(socket)), deadline_(socket_.get_executor(), timeout), metrics_(metrics) {
    metrics_.http_connections.inc();
}

ProxyHeaderReader::~ProxyHeaderReader() {
    metrics_.http_connections.dec();
}

void ProxyHeaderReader::start(OnHeader on_header) {
    on_header_ = std::move(on_header);
    boost::system::error_code ec;
    peer_ = socket_.remote_endpoint(ec).address();
    if (ec) return close();  // gone already
    // Like a request that never ends (slowloris): the header gets http.request_timeout.
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (wait_ec || self->done_) return;
        const bool started = self->parsed_ || !self->received_.empty();
        (started ? self->metrics_.request_timeouts : self->metrics_.idle_timeouts).inc();
        spdlog::debug(
                "proxy protocol: {} sent no whole header within http.request_timeout; "
                "closing the connection",
                self->peer_.to_string());
        self->close();
    });
    do_wait();
}

void ProxyHeaderReader::do_wait() {
    socket_.async_wait(
            net::socket_base::wait_read,
            [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void ProxyHeaderReader::on_readable(boost::system::error_code ec) {
    if (done_) return;
    if (ec) return close();
    if (parsed_) return consume();
    // Peek, so that nothing past the header leaves the socket: its reader (the HTTP parser,
    // or OpenSSL, which reads the socket itself) gets every byte after it.
    char bytes[kProxyDecisionBytes];
    const ssize_t got = ::recv(socket_.native_handle(), bytes, sizeof bytes - received_.size(),
                               MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && would_block()) return do_wait();  // a spurious wake-up
    if (got <= 0) return close();                    // it left before its header
    const auto size = static_cast<std::size_t>(got);
    std::string joined;  // only for a header that came in pieces
    std::string_view seen(bytes, size);
    if (!received_.empty()) seen = joined.assign(received_).append(seen);
    const ProxyHeader header = parse_proxy_header(seen);
    switch (header.kind) {
        case ProxyHeader::Kind::incomplete:
            // Every byte of an incomplete header is the header's: take them, so that the next
            // wait sees only new bytes (a wait on a socket still holding unread bytes would
            // wake again at once, and spin while a slow client sends the rest).
            if (::recv(socket_.native_handle(), bytes, size, MSG_DONTWAIT) != got) return close();
            received_.append(bytes, size);
            if (received_.size() >= kProxyDecisionBytes) return refuse("an endless header", seen);
            return do_wait();
        case ProxyHeader::Kind::invalid: return refuse(header.error, seen);
        case ProxyHeader::Kind::proxied: client_ = unmapped(header.source); break;
        case ProxyHeader::Kind::local: client_ = peer_; break;
    }
    parsed_ = true;
    unconsumed_ = header.length - received_.size();  // the parser's length covers those too
    std::string().swap(received_);
    consume();
}

void ProxyHeaderReader::consume() {
    char sink[512];  // a version 2 header's TLVs may exceed what was peeked: dropped here
    while (unconsumed_ > 0) {
        const ssize_t got = ::recv(socket_.native_handle(), sink,
                                   std::min(unconsumed_, sizeof sink), MSG_DONTWAIT);
        if (got < 0 && would_block()) return do_wait();
        if (got <= 0) return close();
        unconsumed_ -= static_cast<std::size_t>(got);
    }
    done_ = true;
    deadline_.cancel();
    std::exchange(on_header_, nullptr)(std::move(socket_), client_);
}

void ProxyHeaderReader::refuse(std::string_view why, std::string_view first_bytes) {
    metrics_.malformed_requests.inc();
    // info, not debug: a balancer that sends no header (or a client that bypasses it) fails
    // every connection, and the operator must see why.
    spdlog::info(
            "proxy protocol: {} sent \"{}\": {}; closing the connection "
            "(http.proxy_protocol: every connection must start with a PROXY header)",
            peer_.to_string(), excerpt(first_bytes), why);
    close();
}

void ProxyHeaderReader::close() {
    if (std::exchange(done_, true)) return;
    deadline_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(net::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace herald::transport
