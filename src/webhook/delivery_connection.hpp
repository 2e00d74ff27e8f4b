#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "webhook/endpoint_url.hpp"

namespace herald::webhook {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

/// One POST, serialized once by its sender: the request line and header fields (through the
/// blank line), then the body; both go out in one gather write. Built by hand, not with Beast's
/// message and serializer, which allocate per field and cost more than the rest of an attempt.
struct DeliveryRequest {
    std::string head;
    std::string body;
};

/// What one POST came to: a status, or the error that kept it from getting one.
struct DeliveryResult {
    boost::system::error_code error;  // set when no complete response arrived
    unsigned status = 0;
    bool reusable = false;    // the connection may carry the next request
    std::string retry_after;  // the response's Retry-After header, as sent; empty if none
    std::string error_text;   // for the deliveries list instead of error.message(), when set
};

/// One keep-alive HTTP/1.1 client connection to an endpoint, plain or TLS (SNI and
/// certificate checks against the host name). Connects on the first request; the dispatcher
/// keeps idle ones per endpoint and hands each to one request at a time. Every step is
/// bounded by `timeout` (API.md: 10 s), resolve and connect included. With `deny_private`,
/// resolved addresses that address_policy refuses are never connected to.
/// Thread: its executor's (one shard) only.
class DeliveryConnection : public std::enable_shared_from_this<DeliveryConnection> {
public:
    /// Gets the connection back with the result, so that it need not capture it: a callback
    /// holding its own connection would keep it alive forever if the io_context died first.
    using Done = std::function<void(const DeliveryResult&, std::shared_ptr<DeliveryConnection>)>;

    DeliveryConnection(net::any_io_executor executor, net::ssl::context* tls,
                       const EndpointUrl& url, std::chrono::milliseconds timeout,
                       bool deny_private);

    /// Sends `request`, reads the response, calls `done` once. A connection that was reused
    /// and finds the peer closed it meanwhile (idle timeout) reconnects and sends once more.
    void send(std::shared_ptr<DeliveryRequest> request, Done done);
    /// Closes the socket; a pending operation completes with an error.
    void close();

private:
    void do_resolve();
    void on_resolve(boost::system::error_code ec, net::ip::tcp::resolver::results_type results);
    void on_connect(boost::system::error_code ec);
    void on_handshake(boost::system::error_code ec);
    void do_write();
    void on_write(boost::system::error_code ec, std::size_t bytes);
    void on_read(boost::system::error_code ec, std::size_t bytes);
    void finish(DeliveryResult result);
    beast::tcp_stream& lowest();

    net::any_io_executor executor_;
    net::ssl::context* tls_context_;
    const EndpointUrl url_;
    std::chrono::milliseconds timeout_;
    bool deny_private_;
    net::ip::tcp::resolver resolver_;
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    bool connected_ = false;
    bool reused_ = false;  // the current request went out on a connection used before
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> parser_;
    std::shared_ptr<DeliveryRequest> request_;
    Done done_;
};

}  // namespace herald::webhook
