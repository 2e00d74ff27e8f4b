#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/channel_stream.hpp"
#include "core/presence.hpp"
#include "transport/websocket/ws_session.hpp"
#include "wire/json_responses.hpp"
#include "wire/presence_json.hpp"
#include "wire/ws_messages.hpp"

namespace herald::transport {

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

}  // namespace herald::transport
