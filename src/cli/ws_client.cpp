#include "cli/ws_client.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>

namespace herald::cli {

namespace http = beast::http;

WsClient::WsClient(const ClientOptions& options)
    : endpoint_(make_endpoint(options.url, options.cacert)), token_(options.token) {}

bool WsClient::connect(ClientError& error) {
    drop();
    stream_.emplace(context_, endpoint_);
    buffer_.clear();
    if (!stream_->next_layer().connect(error)) return false;
    stream_->set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
        request.set(http::field::user_agent, "herald-cli");
        request.set(http::field::sec_websocket_protocol, "herald.v1");
        if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
    }));
    boost::system::error_code ec;
    websocket::response_type response;
    stream_->handshake(response, endpoint_.where(), "/v1/ws", ec);
    if (ec == websocket::error::upgrade_declined) {
        const unsigned status = response.result_int();
        error = {"HTTP " + std::to_string(status) + " to the WebSocket upgrade",
                 status >= 400 && status < 500};
        if (!response.body().empty()) error.message += ": " + response.body();
        return false;
    }
    if (ec) {
        error = {"WebSocket upgrade at " + endpoint_.where() + " failed: " + ec.message()};
        return false;
    }
    stream_->text(true);
    return true;
}

bool WsClient::send(std::string_view text, ClientError& error) {
    boost::system::error_code ec;
    stream_->write(net::buffer(text.data(), text.size()), ec);
    if (ec) error = {"WebSocket write failed: " + ec.message()};
    return !ec;
}

std::optional<std::string> WsClient::read(ClientError& error) {
    boost::system::error_code ec;
    buffer_.clear();
    stream_->read(buffer_, ec);
    if (ec == websocket::error::closed) {
        const websocket::close_reason& reason = stream_->reason();
        error = {"the server closed the WebSocket (" + std::to_string(reason.code)};
        if (!reason.reason.empty()) {
            error.message += " " + std::string(reason.reason.data(), reason.reason.size());
        }
        error.message += ")";
        return std::nullopt;
    }
    if (ec) {
        error = {"WebSocket read failed: " + ec.message()};
        return std::nullopt;
    }
    return beast::buffers_to_string(buffer_.data());
}

void WsClient::close() {
    if (!stream_ || !stream_->is_open()) return;
    boost::system::error_code ec;
    stream_->close(websocket::close_code::normal, ec);
    // Beast's close waits for the server's close frame, reading past any frames still coming.
}

void WsClient::drop() {
    if (!stream_) return;
    stream_->next_layer().close();
    stream_.reset();
}

}  // namespace herald::cli
