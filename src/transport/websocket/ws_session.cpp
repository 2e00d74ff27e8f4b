#include "transport/websocket/ws_session.hpp"

#include <array>
#include <span>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "transport/common/disconnect.hpp"
#include "transport/websocket/ws_subscription.hpp"
#include "util/clock.hpp"
#include "wire/json_responses.hpp"
#include "wire/presence_json.hpp"
#include "wire/websocket/frame_encoder.hpp"
#include "wire/websocket/utf8_validator.hpp"

namespace herald::transport {

namespace net = boost::asio;
namespace ws = wire::websocket;

namespace {

constexpr std::uint16_t kTokenExpired = 4001;  // an application close code (RFC 6455 7.4.2)

std::string encode_ws_message(const core::Message& message) {
    return ws::encode_text_frame(wire::ws_message(message));
}

const core::Message::Encoder kWsEncoder = encode_ws_message;

}  // namespace

WsSession::WsSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
                     ShardServices& services, const ConnectionSettings& connection,
                     const WsSettings& settings, core::ShardMetrics& metrics)
    : StreamingConnection(std::move(socket), std::move(setup.head), connection, services, metrics),
      address_slot_(std::move(setup.address_slot)),
      shard_(setup.shard),
      channels_(channels),
      settings_(settings),
      parser_(ws::FrameParserOptions{.max_message_bytes = settings.max_frame_bytes,
                                     .deflate = setup.deflate}),
      grant_(std::move(setup.grant)),
      publish_bucket_(static_cast<double>(settings.publish_rate),
                      static_cast<double>(settings.publish_rate)),
      identity_(services.presence.make_identity(setup.shard, "websocket", grant_->user())),
      deflate_(setup.deflate) {
    metrics.ws_connections.inc();
}

WsSession::~WsSession() {
    metrics().ws_connections.dec();
}

void WsSession::start(std::string unread) {
    if (!open()) return;  // the 101 answer leaves first
    last_ping_tick_ = ticker().now();
    if (!unread.empty()) {
        // Frames that came with the upgrade request (a client should wait for the 101, but
        // may not): handled before anything read later.
        on_bytes(std::span<char>(unread.data(), unread.size()));
    }
}

void WsSession::on_open_tick(KeepaliveTicker::Tick now) {
    if (const auto expires = grant_->expires();
        expires && unix_millis() / 1000 - *expires >= settings_.token_leeway.count()) {
        // API.md Auth: a connection lives no longer than its token (docs/SECURITY.md).
        return close_with(static_cast<ws::CloseCode>(kTokenExpired), "token expired");
    }
    if (now - last_ping_tick_ < ticker().ticks(settings_.ping_interval)) return;
    if (unanswered_pings_ >= 2) {
        spdlog::info("ws: a peer missed two pongs; dropping it");
        return close();
    }
    ++unanswered_pings_;
    last_ping_tick_ = now;
    push(Frame::own(ws::encode_ping_frame()));
}

void WsSession::on_shutdown() {
    close_with(ws::CloseCode::going_away, "server shutting down");
}

void WsSession::on_data(const ws::ParseEvent& event) {
    if (!event.compressed) return on_frame(event.payload);
    // permessage-deflate: the shard's inflater, since every client message stands alone.
    std::string text;
    const ws::InflateStatus status = services().inflater.inflate(event.payload, text);
    if (status != ws::InflateStatus::ok) {
        return close_with(ws::close_code_of(status), "bad compressed message");
    }
    if (!ws::is_valid_utf8(text)) {
        return close_with(ws::CloseCode::invalid_frame_payload_data, "invalid UTF-8");
    }
    on_frame(text);
}

void WsSession::on_bytes(std::span<char> input) {
    // Once closing, the rest is dropped (the connection reads and drops until the peer ends).
    while (!input.empty() && state() == State::open) {
        const ws::ParseEvent event = parser_.parse(input);
        switch (event.status) {
            case ws::ParseStatus::need_more: break;
            case ws::ParseStatus::text: on_data(event); break;
            case ws::ParseStatus::ping:
                push(Frame::own(ws::encode_pong_frame(event.payload)));
                break;
            case ws::ParseStatus::pong: unanswered_pings_ = 0; break;
            case ws::ParseStatus::binary:
                close_with(ws::CloseCode::unsupported_data, "binary frames are not accepted");
                break;
            case ws::ParseStatus::close:
                close_with(event.code == ws::CloseCode::no_status_received
                                   ? ws::CloseCode::normal_closure
                                   : event.code,
                           "");
                break;
            case ws::ParseStatus::error: close_with(event.code, "protocol error"); break;
        }
    }
}

void WsSession::send_text(std::string_view json) {
    push(Frame::own(deflate_ ? ws::encode_deflated_text_frame(services().deflater, json)
                             : ws::encode_text_frame(json)));
}

const std::string& WsSession::encoded(const core::Message& message) const {
    if (!deflate_) return message.encoded(core::WireForm::websocket, kWsEncoder);
    // Compressed once for every permessage-deflate subscriber, by the first shard to need it,
    // with that shard's deflater (the encoder runs on the calling thread).
    ws::Deflater* deflater = &services().deflater;
    return message.encoded(core::WireForm::websocket_deflate, [deflater](const core::Message& m) {
        return ws::encode_deflated_text_frame(*deflater, wire::ws_message(m));
    });
}

void WsSession::send_message(const core::MessagePtr& message) {
    queue().count_message();
    push(Frame{message, encoded(*message)});
}

bool WsSession::has_room(const core::Message* next) const {
    return StreamingConnection::has_room(next != nullptr ? std::optional(encoded(*next).size())
                                                         : std::nullopt);
}

void WsSession::on_overflow() {
    close_with(ws::CloseCode::try_again_later, "slow consumer");
}

void WsSession::on_drained() {
    for (auto& [channel, subscription] : subscriptions_)
        subscription->stream().resume();
}

void WsSession::close_with(ws::CloseCode code, std::string_view reason) {
    if (state() != State::open) return;
    if (code == ws::CloseCode::message_too_big) metrics().refused_ws_message_size.inc();
    end_subscriptions();
    finish(Frame::own(ws::encode_close_frame(code, reason)));
}

void WsSession::on_closed() {
    end_subscriptions();
}

}  // namespace herald::transport
