// The JSON protocol of /v1/ws (API.md WebSocket): the client's frames (subscribe, unsubscribe,
// publish, presence, ping) and the subscriptions they make. The connection itself (frames,
// pings, deflate, closing) is ws_session.cpp.
#include <boost/asio/post.hpp>

#include "transport/websocket/ws_session.hpp"
#include "transport/websocket/ws_subscription.hpp"
#include "wire/json_responses.hpp"
#include "wire/presence_json.hpp"

namespace herald::transport {

namespace net = boost::asio;

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
    services().presence.members(
            frame.channel, shard_,
            [self = self(), channel = frame.channel,
             ref = frame.ref](std::optional<std::vector<core::PresenceEntry>> clients) {
                if (!clients) {
                    return self->send_text(wire::ws_error(wire::WsFrameError{
                            wire::ApiError::unavailable,
                            "the presence of " + channel + " could not be read; ask again", ref}));
                }
                self->send_text(wire::ws_presence(channel, *clients, ref));
            });
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
