#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace herald::cli {

namespace beast = boost::beast;
namespace http = beast::http;

/// Host and port of a base URL like "http://127.0.0.1:8080" (port 80 when it names none).
/// Throws std::invalid_argument when it is not one: the client commands' --url check.
struct ServerAddress {
    std::string host;
    std::string port;
};
ServerAddress parse_base_url(const std::string& base_url);

struct HttpReply {
    unsigned status = 0;
    std::string body;
};

/// A blocking HTTP/1.1 client on one keep-alive connection, for the client commands.
/// Reconnects when the server closed the connection between requests.
class HttpClient {
public:
    /// `base_url` like "http://127.0.0.1:8080"; throws std::invalid_argument when it is not.
    HttpClient(const std::string& base_url, std::string token);

    /// Sends one request; on failure returns nothing and sets `error`.
    std::optional<HttpReply> request(http::verb method, const std::string& target,
                                     const std::string& body, std::string& error);

    /// Receives each piece of a body as it arrives; false stops reading.
    using OnBytes = std::function<bool(std::string_view)>;
    /// Sends a GET whose answer streams (SSE, NDJSON) and feeds its body to `on_bytes` until
    /// the server ends it or `on_bytes` says stop. Returns the status (and, when it is not 200,
    /// the body); nothing and `error` when the connection failed before an answer.
    std::optional<HttpReply> stream(const std::string& target, const OnBytes& on_bytes,
                                    std::string& error);

private:
    bool connect(std::string& error);
    http::request<http::string_body> make_request(http::verb method, const std::string& target);

    boost::asio::io_context context_;
    beast::tcp_stream stream_{context_};
    beast::flat_buffer buffer_;
    std::string host_;
    std::string port_;
    std::string token_;
    bool connected_ = false;
};

/// The server address and token every client command takes.
struct ClientOptions {
    std::string url;
    std::string token;
};

}  // namespace herald::cli
