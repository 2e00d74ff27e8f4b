#include "cli/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

namespace herald::cli {

WsClient::WsClient(const std::string& base_url, std::string token)
    : address_(parse_base_url(base_url)), token_(std::move(token)) {}

bool WsClient::connect(std::string& error, unsigned& refused_status) {
    refused_status = 0;
    drop();
    stream_.emplace(context_);
    buffer_.clear();
    const std::string where = address_.host + ":" + address_.port;
    boost::system::error_code ec;
    boost::asio::ip::tcp::resolver resolver(context_);
    auto endpoints = resolver.resolve(address_.host, address_.port, ec);
    if (!ec) beast::get_lowest_layer(*stream_).connect(endpoints, ec);
    if (ec) {
        error = "cannot connect to " + where + ": " + ec.message();
        return false;
    }
    stream_->set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
        request.set(http::field::user_agent, "herald-cli");
        request.set(http::field::sec_websocket_protocol, "herald.v1");
        if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
    }));
    websocket::response_type response;
    stream_->handshake(response, where, "/v1/ws", ec);
    if (ec == websocket::error::upgrade_declined) {
        refused_status = response.result_int();
        error = "HTTP " + std::to_string(refused_status) + " to the WebSocket upgrade";
        if (!response.body().empty()) error += ": " + response.body();
        return false;
    }
    if (ec) {
        error = "WebSocket upgrade at " + where + " failed: " + ec.message();
        return false;
    }
    stream_->text(true);
    return true;
}

bool WsClient::send(std::string_view text, std::string& error) {
    boost::system::error_code ec;
    stream_->write(boost::asio::buffer(text.data(), text.size()), ec);
    if (ec) error = "WebSocket write failed: " + ec.message();
    return !ec;
}

std::optional<std::string> WsClient::read(std::string& error) {
    boost::system::error_code ec;
    buffer_.clear();
    stream_->read(buffer_, ec);
    if (ec == websocket::error::closed) {
        const websocket::close_reason& reason = stream_->reason();
        error = "the server closed the WebSocket (" + std::to_string(reason.code);
        if (!reason.reason.empty()) {
            error += " " + std::string(reason.reason.data(), reason.reason.size());
        }
        error += ")";
        return std::nullopt;
    }
    if (ec) {
        error = "WebSocket read failed: " + ec.message();
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
    boost::system::error_code ignored;
    beast::get_lowest_layer(*stream_).socket().close(ignored);
    stream_.reset();
}

}  // namespace herald::cli
