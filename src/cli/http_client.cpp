#include "cli/http_client.hpp"

namespace herald::cli {

HttpClient::HttpClient(const ClientOptions& options)
    : endpoint_(make_endpoint(options.url, options.cacert)),
      stream_(context_, endpoint_),
      token_(options.token) {}

bool HttpClient::connect(ClientError& error) {
    if (!stream_.connect(error)) return false;
    connected_ = true;
    buffer_.clear();
    return true;
}

void HttpClient::disconnect() {
    stream_.close();
    connected_ = false;
}

http::request<http::string_body> HttpClient::make_request(http::verb method,
                                                          const std::string& target) {
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, endpoint_.host);
    request.set(http::field::user_agent, "herald-cli");
    if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
    return request;
}

std::optional<HttpReply> HttpClient::stream(const std::string& target, const OnBytes& on_bytes,
                                            ClientError& error) {
    // A fresh connection: this one will not serve another request.
    if (connected_) disconnect();
    if (!connect(error)) return std::nullopt;
    http::request<http::string_body> request = make_request(http::verb::get, target);
    boost::system::error_code ec;
    http::write(stream_, request, ec);
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // the body never ends
    if (!ec) http::read_header(stream_, buffer_, parser, ec);
    if (ec) {
        error = {"request to " + endpoint_.where() + " failed: " + ec.message()};
        disconnect();
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
    disconnect();
    return reply;
}

std::optional<HttpReply> HttpClient::request(http::verb method, const std::string& target,
                                             const std::string& body, ClientError& error) {
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
            disconnect();
            // A kept-alive connection the server closed meanwhile: one fresh try.
            if (reused) continue;
            error = {"request to " + endpoint_.where() + " failed: " + ec.message()};
            return std::nullopt;
        }
        if (!response.keep_alive()) disconnect();
        return HttpReply{response.result_int(), std::move(response.body())};
    }
    error = {"request to " + endpoint_.where() + " failed twice"};
    return std::nullopt;
}

}  // namespace herald::cli
