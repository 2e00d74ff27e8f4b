#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "cli/client_stream.hpp"

namespace herald::cli {

namespace http = beast::http;

struct HttpReply {
    unsigned status = 0;
    std::string body;
};

/// A blocking HTTP/1.1 client on one keep-alive connection (http or https), for the client
/// commands. Reconnects when the server closed the connection between requests.
class HttpClient {
public:
    /// Throws std::invalid_argument for a bad --url or --cacert (see make_endpoint).
    explicit HttpClient(const ClientOptions& options);

    /// Sends one request; on failure returns nothing and sets `error`.
    std::optional<HttpReply> request(http::verb method, const std::string& target,
                                     const std::string& body, ClientError& error);

    /// Receives each piece of a body as it arrives; false stops reading.
    using OnBytes = std::function<bool(std::string_view)>;
    /// Sends a GET whose answer streams (SSE, NDJSON) and feeds its body to `on_bytes` until
    /// the server ends it or `on_bytes` says stop. Returns the status (and, when it is not 200,
    /// the body); nothing and `error` when the connection failed before an answer.
    std::optional<HttpReply> stream(const std::string& target, const OnBytes& on_bytes,
                                    ClientError& error);

private:
    bool connect(ClientError& error);
    void disconnect();
    http::request<http::string_body> make_request(http::verb method, const std::string& target);

    net::io_context context_;
    Endpoint endpoint_;
    ClientStream stream_;
    beast::flat_buffer buffer_;
    std::string token_;
    bool connected_ = false;
};

}  // namespace herald::cli
