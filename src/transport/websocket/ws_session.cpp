#include "transport/websocket/ws_session.hpp"

#include <array>
#include <span>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "transport/common/disconnect.hpp"
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

/// One channel subscription of the connection: the resume-then-live stream, and the sink that
/// turns what it yields into frames of this connection; the connection's presence in the
/// channel and, when the client asked, the joins and leaves of the others.
class WsSession::Subscription final : public core::StreamSink, public core::PresenceWatcher {
public:
    Subscription(WsSession& session, std::string channel, bool watch_presence,
                 std::optional<std::string> ref)
        : session_(session),
          stream_(session.channels_, session.shard_, channel, *this),
          ref_(std::move(ref)) {
        core::Presence& presence = session.services().presence;
        if (watch_presence) watch_ = presence.watch(session.shard_, channel, this);
        membership_ = presence.join(session.shard_, std::move(channel), session.identity_);
    }

    core::ChannelStream& stream() { return stream_; }
    /// Stops the stream and leaves the channel's presence.
    void end() {
        stream_.stop();
        membership_.reset();
        watch_.reset();
    }

    void on_presence(const core::PresenceChangePtr& change) override {
        // A client knows of its own comings and goings: it is told of the others'.
        if (change->client != session_.identity_.id) {
            session_.send_text(wire::ws_presence_change(*change));
        }
    }

    void on_started(core::Seq last_seq) override {
        session_.send_text(wire::ws_subscribed(stream_.channel(), last_seq, ref_));
    }
    void on_message(const core::MessagePtr& message) override { session_.send_message(message); }
    void on_gap(const core::Gap& gap) override {
        session_.send_text(wire::gap_object(stream_.channel(), gap));
    }
    void on_read_failed() override { session_.subscription_failed(stream_.channel()); }
    bool has_room(const core::Message* next) const override { return session_.has_room(next); }

private:
    WsSession& session_;
    core::ChannelStream stream_;
    core::PresenceMembership membership_;
    core::PresenceWatch watch_;
    std::optional<std::string> ref_;  // the subscribe frame's, for its `subscribed` answer
};

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

void WsSession::on_frame(std::string_view text) {
    auto parsed = wire::parse_ws_frame(text);
    if (auto* error = std::get_if<wire::WsFrameError>(&parsed)) {
        return send_text(wire::ws_error(*error));
    }
    auto& frame = std::get<wire::WsClientFrame>(parsed);
    using Type = wire::WsClientFrame::Type;
    if (frame.type == Type::publish && text.size() > settings_.max_message_bytes) {
        // Like an HTTP publish body over the limit (413), but the connection lives on.
        metrics().refused_body_size.inc();
        return send_text(wire::ws_error(wire::WsFrameError{
                wire::ApiError::too_large,
                "publish frame is larger than " + std::to_string(settings_.max_message_bytes) +
                        " bytes (limits.max_message_bytes)",
                frame.ref}));
    }
    switch (frame.type) {
        case Type::ping: return send_text(wire::ws_pong(frame.ref));
        case Type::subscribe: return subscribe(frame);
        case Type::unsubscribe: return unsubscribe(frame);
        case Type::publish: return publish(std::move(frame));
        case Type::presence: return query_presence(frame);
    }
}

bool WsSession::allowed(bool permitted, const wire::WsClientFrame& frame, std::string_view what) {
    if (permitted) return true;
    std::string message = "the token may not ";
    message += what;
    message += " channel ";
    message += frame.channel;
    send_text(wire::ws_error(
            wire::WsFrameError{wire::ApiError::forbidden, std::move(message), frame.ref}));
    return false;
}

void WsSession::subscribe(const wire::WsClientFrame& frame) {
    if (!allowed(grant_->may_subscribe(frame.channel), frame, "read")) return;
    if (subscriptions_.contains(frame.channel)) {
        return send_text(wire::ws_error(wire::WsFrameError{
                wire::ApiError::bad_request, "already subscribed to " + frame.channel, frame.ref}));
    }
    if (subscriptions_.size() >= settings_.max_subscriptions) {
        metrics().refused_subscriptions.inc();
        return send_text(wire::ws_error(
                wire::WsFrameError{wire::ApiError::rate_limited,
                                   "at most " + std::to_string(settings_.max_subscriptions) +
                                           " subscriptions per connection",
                                   frame.ref}));
    }
    auto subscription =
            std::make_unique<Subscription>(*this, frame.channel, frame.presence, frame.ref);
    Subscription& added = *subscription;
    subscriptions_.emplace(frame.channel, std::move(subscription));
    // `subscribed` goes out once storage told the channel's last_seq (on_started); without
    // `after`, the stream is live from that last_seq, so nothing falls between.
    added.stream().start(frame.after);
}

void WsSession::unsubscribe(const wire::WsClientFrame& frame) {
    auto it = subscriptions_.find(frame.channel);
    if (it == subscriptions_.end()) {
        return send_text(wire::ws_error(wire::WsFrameError{
                wire::ApiError::not_found, "not subscribed to " + frame.channel, frame.ref}));
    }
    it->second->end();
    subscriptions_.erase(it);
    send_text(wire::ws_unsubscribed(frame.channel, frame.ref));
}

void WsSession::publish(wire::WsClientFrame frame) {
    if (!allowed(grant_->may_publish(frame.channel), frame, "publish to")) return;
    if (!publish_bucket_.take()) {
        metrics().publishes_rate_limited.inc();
        return send_text(wire::ws_error(wire::WsFrameError{
                wire::ApiError::rate_limited,
                "at most " + std::to_string(settings_.publish_rate) +
                        " publishes a second on one connection (limits.publish_rate)",
                frame.ref}));
    }
    channels_.publish(shard_, std::move(frame.publish),
                      [self = self(), ref = frame.ref](const core::PublishResult& result) {
                          if (result.status == core::PublishStatus::failed) {
                              return self->send_text(wire::ws_error(wire::WsFrameError{
                                      wire::ApiError::unavailable,
                                      "storage could not store the message", ref}));
                          }
                          self->send_text(wire::ws_ack(result, ref));
                      });
}

void WsSession::query_presence(const wire::WsClientFrame& frame) {
    if (!allowed(grant_->may_subscribe(frame.channel), frame, "read")) return;
    services().presence.members(frame.channel, shard_,
                                [self = self(), channel = frame.channel,
                                 ref = frame.ref](std::vector<core::PresenceEntry> clients) {
                                    self->send_text(wire::ws_presence(channel, clients, ref));
                                });
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

void WsSession::subscription_failed(const std::string& channel) {
    send_text(wire::ws_error(wire::WsFrameError{
            wire::ApiError::unavailable,
            "the history of " + channel + " could not be read; subscribe again", std::nullopt}));
    // Removed after the handler that read: it may be iterating the subscriptions.
    net::post(executor(), [self = self(), channel] {
        auto it = self->subscriptions_.find(channel);
        if (it == self->subscriptions_.end()) return;
        it->second->end();
        self->subscriptions_.erase(it);
    });
}

void WsSession::end_subscriptions() {
    for (auto& [channel, subscription] : subscriptions_)
        subscription->end();
}

}  // namespace herald::transport
