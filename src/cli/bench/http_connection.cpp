#include "cli/bench/http_connection.hpp"

#include <stdexcept>

#include <boost/url/parse.hpp>

namespace herald::cli::bench {

net::ip::tcp::endpoint resolve_http_url(const std::string& url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "http") {
        throw std::runtime_error("--url must look like http://HOST:PORT, not '" + url + "'");
    }
    net::io_context context;
    net::ip::tcp::resolver resolver(context);
    auto results = resolver.resolve(std::string(parsed->host()),
                                    parsed->has_port() ? std::string(parsed->port()) : "80");
    return results.begin()->endpoint();
}

HttpConnection::HttpConnection(net::io_context& context, net::ip::tcp::endpoint endpoint,
                               Traffic& traffic)
    : stream_(context), endpoint_(endpoint), traffic_(traffic) {}

void HttpConnection::request(http::verb method, std::string target, std::string body, Done done,
                             const Headers& headers) {
    request_ = {method, target, 11};
    request_.set(http::field::host, "herald-bench");
    for (const auto& [field, value] : headers)
        request_.set(field, value);
    if (method == http::verb::post) {
        request_.set(http::field::content_type, "application/json");
        request_.body() = std::move(body);
    }
    request_.prepare_payload();
    done_ = std::move(done);
    if (connected_) return send();
    stream_.async_connect(endpoint_, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->finish(ec);
        self->connected_ = true;
        beast::error_code ignored;
        self->stream_.socket().set_option(net::ip::tcp::no_delay(true), ignored);
        self->send();
    });
}

void HttpConnection::send() {
    ++traffic_.requests;
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                          self->on_write(ec, bytes);
                      });
}

void HttpConnection::on_write(beast::error_code ec, std::size_t bytes) {
    traffic_.bytes_sent += bytes;
    if (ec) return finish(ec);
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code read_ec, std::size_t read) {
                         self->on_read(read_ec, read);
                     });
}

void HttpConnection::on_read(beast::error_code ec, std::size_t bytes) {
    traffic_.bytes_received += bytes;
    if (ec) return finish(ec);
    Response response = parser_->release();
    if (!response.keep_alive()) close();
    auto done = std::move(done_);
    done({}, std::move(response));
}

void HttpConnection::finish(beast::error_code ec) {
    close();
    auto done = std::move(done_);
    if (done) done(ec, Response{});
}

void HttpConnection::close() {
    connected_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    buffer_.clear();
}

}  // namespace herald::cli::bench
