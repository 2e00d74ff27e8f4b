#include "cli/http_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/url/parse.hpp>

namespace herald::cli {

ServerAddress parse_base_url(const std::string& base_url) {
    auto url = boost::urls::parse_absolute_uri(base_url);
    if (!url || url->scheme() != "http" || url->host().empty()) {
        throw std::invalid_argument("--url must look like http://HOST:PORT, not '" + base_url +
                                    "'");
    }
    return {std::string(url->host()), url->has_port() ? std::string(url->port()) : "80"};
}

HttpClient::HttpClient(const std::string& base_url, std::string token) : token_(std::move(token)) {
    ServerAddress address = parse_base_url(base_url);
    host_ = std::move(address.host);
    port_ = std::move(address.port);
}

bool HttpClient::connect(std::string& error) {
    boost::system::error_code ec;
    boost::asio::ip::tcp::resolver resolver(context_);
    auto endpoints = resolver.resolve(host_, port_, ec);
    if (!ec) stream_.connect(endpoints, ec);
    if (ec) {
        error = "cannot connect to " + host_ + ":" + port_ + ": " + ec.message();
        return false;
    }
    connected_ = true;
    buffer_.clear();
    return true;
}

http::request<http::string_body> HttpClient::make_request(http::verb method,
                                                          const std::string& target) {
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "herald-cli");
    if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
    return request;
}

std::optional<HttpReply> HttpClient::stream(const std::string& target, const OnBytes& on_bytes,
                                            std::string& error) {
    // A fresh connection: this one will not serve another request.
    if (connected_) {
        beast::error_code ignored;
        stream_.socket().close(ignored);
        connected_ = false;
    }
    if (!connect(error)) return std::nullopt;
    http::request<http::string_body> request = make_request(http::verb::get, target);
    boost::system::error_code ec;
    http::write(stream_, request, ec);
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // the body never ends
    if (!ec) http::read_header(stream_, buffer_, parser, ec);
    if (ec) {
        error = "request to " + host_ + ":" + port_ + " failed: " + ec.message();
        beast::error_code ignored;
        stream_.socket().close(ignored);
        connected_ = false;
        return std::nullopt;
    }
    HttpReply reply{parser.get().result_int(), {}};
    char piece[16 * 1024];
    while (!parser.is_done()) {
        parser.get().body().data = piece;
        parser.get().body().size = sizeof piece;
        http::read_some(stream_, buffer_, parser, ec);  // not read: it waits to fill `piece`
        if (ec == http::error::need_buffer) ec = {};
        if (ec) break;
        const std::string_view bytes(piece, sizeof piece - parser.get().body().size);
        if (reply.status != 200) {
            reply.body.append(bytes);
        } else if (!bytes.empty() && !on_bytes(bytes)) {
            break;
        }
    }
    beast::error_code ignored;
    stream_.socket().close(ignored);
    connected_ = false;
    return reply;
}

std::optional<HttpReply> HttpClient::request(http::verb method, const std::string& target,
                                             const std::string& body, std::string& error) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = connected_;
        if (!connected_ && !connect(error)) return std::nullopt;
        http::request<http::string_body> request = make_request(method, target);
        if (method == http::verb::post) {
            request.set(http::field::content_type, "application/json");
            request.body() = body;
        }
        request.prepare_payload();
        boost::system::error_code ec;
        http::write(stream_, request, ec);
        http::response<http::string_body> response;
        if (!ec) http::read(stream_, buffer_, response, ec);
        if (ec) {
            beast::error_code ignored;
            stream_.socket().close(ignored);
            connected_ = false;
            // A kept-alive connection the server closed meanwhile: one fresh try.
            if (reused) continue;
            error = "request to " + host_ + ":" + port_ + " failed: " + ec.message();
            return std::nullopt;
        }
        if (!response.keep_alive()) {
            beast::error_code ignored;
            stream_.socket().close(ignored);
            connected_ = false;
        }
        return HttpReply{response.result_int(), std::move(response.body())};
    }
    error = "request to " + host_ + ":" + port_ + " failed twice";
    return std::nullopt;
}

}  // namespace herald::cli
