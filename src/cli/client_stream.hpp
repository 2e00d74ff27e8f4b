#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace herald::cli {

namespace net = boost::asio;
namespace beast = boost::beast;

/// The server address, token and trusted CAs every client command takes.
struct ClientOptions {
    std::string url;
    std::string token;
    std::string cacert;  // PEM file of CAs to trust besides the system's (--cacert)
};

/// Where the client commands connect: --url's host and port (80 for http, 443 for https), and
/// for https the TLS context that checks the server: the system's CAs plus --cacert's.
struct Endpoint {
    std::string host;
    std::string port;
    std::shared_ptr<net::ssl::context> tls;  // null for http

    std::string where() const { return host + ":" + port; }
};

/// Throws std::invalid_argument when `url` is not http(s)://HOST[:PORT] or `cacert` cannot be
/// loaded: the client commands' start-up check.
Endpoint make_endpoint(const std::string& url, const std::string& cacert);

/// Why a request got no answer: the one line a command prints.
struct ClientError {
    std::string message;
    /// Trying again will not help (the server's certificate is not trusted, the server does not
    /// speak TLS, it refused the WebSocket upgrade with a 4xx): `herald sub` exits, not retries.
    bool lasting = false;
};

/// The byte stream under the client commands' HTTP and WebSocket clients: TCP, or TLS over
/// TCP for an https endpoint. A synchronous stream, so Beast's http::read/write and
/// websocket::stream<ClientStream> use it like a socket, one code path for both.
/// Thread: its owner's. Each connect() starts a fresh connection.
class ClientStream {
public:
    using executor_type = net::io_context::executor_type;

    ClientStream(net::io_context& context, Endpoint endpoint)
        : context_(context),
          endpoint_(std::move(endpoint)),
          stream_(std::in_place_index<0>, context) {}

    /// Resolves, connects and for https does the TLS handshake: SNI, and the certificate
    /// verified against the trusted CAs and the host name. False and `error` on failure.
    [[nodiscard]] bool connect(ClientError& error);
    /// Closes the socket. No TLS close_notify: every answer is framed (Content-Length, chunks,
    /// WebSocket close frames), and the server sends none either.
    void close();

    executor_type get_executor() { return context_.get_executor(); }

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, beast::error_code& ec) {
        return std::visit([&](auto& stream) { return stream.read_some(buffers, ec); }, stream_);
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers, beast::error_code& ec) {
        return std::visit([&](auto& stream) { return stream.write_some(buffers, ec); }, stream_);
    }
    // The throwing forms Beast's SyncStream concept asks for; Herald calls the ones above.
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        return std::visit([&](auto& stream) { return stream.read_some(buffers); }, stream_);
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers) {
        return std::visit([&](auto& stream) { return stream.write_some(buffers); }, stream_);
    }

    /// The end of a WebSocket connection (Beast finds it by argument-dependent lookup): TLS
    /// close_notify when it is TLS, then the socket.
    friend void teardown(beast::role_type role, ClientStream& stream, beast::error_code& ec);

private:
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;

    beast::tcp_stream& tcp();
    bool handshake(TlsStream& tls, ClientError& error);

    net::io_context& context_;
    Endpoint endpoint_;
    std::variant<beast::tcp_stream, TlsStream> stream_;
};

}  // namespace herald::cli
