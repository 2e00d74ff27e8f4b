#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "cli/bench/stats.hpp"

namespace herald::cli::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

/// The address of an "http://HOST:PORT" URL; throws std::runtime_error for anything else.
net::ip::tcp::endpoint resolve_http_url(const std::string& url);

/// One keep-alive HTTP/1.1 connection of the load generator, one request at a time. Counts
/// every byte it writes and reads, headers included, into `traffic`.
/// Thread: its io_context's. Owned by the pending operation and whoever holds it.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
public:
    using Response = http::response<http::string_body>;
    /// The answer, or an error and an empty response.
    using Done = std::function<void(beast::error_code, Response&&)>;
    using Headers = std::vector<std::pair<http::field, std::string>>;

    HttpConnection(net::io_context& context, net::ip::tcp::endpoint endpoint, Traffic& traffic);

    /// Sends one request (connecting first when needed) and calls `done` with the answer.
    void request(http::verb method, std::string target, std::string body, Done done,
                 const Headers& headers = {});
    void close();

private:
    void send();
    void on_write(beast::error_code ec, std::size_t bytes);
    void on_read(beast::error_code ec, std::size_t bytes);
    void finish(beast::error_code ec);

    beast::tcp_stream stream_;
    net::ip::tcp::endpoint endpoint_;
    Traffic& traffic_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    std::optional<http::response_parser<http::string_body>> parser_;
    Done done_;
    bool connected_ = false;
};

}  // namespace herald::cli::bench
