#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "auth/access.hpp"
#include "core/channel_stream.hpp"
#include "core/presence.hpp"
#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"
#include "runtime/shard_id.hpp"
#include "transport/common/streaming_connection.hpp"
#include "transport/stream/stream_settings.hpp"
#include "transport/websocket/ws_settings.hpp"
#include "util/counted_slot.hpp"
#include "util/token_bucket.hpp"
#include "wire/websocket/frame.hpp"
#include "wire/websocket/frame_parser.hpp"
#include "wire/ws_messages.hpp"

namespace herald::transport {

/// One WebSocket connection after its upgrade (API.md WebSocket): text frames of JSON both
/// ways, several channel subscriptions, publish with ack after commit. An adapter over the
/// StreamingConnection: it parses what it reads with our RFC 6455 codec (straight from a buffer
/// on the stack of the read handler, so an idle connection holds no read buffer), pings, and
/// closes with a close frame. Messages go out as frames encoded once per message
/// (WireForm::websocket, or websocket_deflate with permessage-deflate) and shared by every
/// subscriber; zlib states are the shard's (ShardServices).
/// Thread: its shard's only. Owned by its pending socket operations.
class WsSession final : public StreamingConnection {
public:
    struct Setup {
        runtime::ShardId shard;
        std::string head;          // the 101 answer
        bool deflate = false;      // permessage-deflate was agreed
        auth::GrantPtr grant;      // what the upgrade's token allows
        CountedSlot address_slot;  // limits.max_connections_per_ip, until the connection ends
    };

    WsSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
              ShardServices& services, const ConnectionSettings& connection,
              const WsSettings& settings, core::ShardMetrics& metrics);
    ~WsSession() override;

    /// `unread`: frames the client sent along with its upgrade request.
    void start(std::string unread);

    // KeepaliveTicker::Client: the server stops, 1001.
    void on_shutdown() override;

private:
    class Subscription;

    // StreamingConnection
    void on_bytes(std::span<char> input) override;
    void on_open_tick(KeepaliveTicker::Tick now) override;
    void on_drained() override;
    void on_overflow() override;
    void on_closed() override;
    const char* kind() const override { return "ws"; }

    std::shared_ptr<WsSession> self() {
        return std::static_pointer_cast<WsSession>(shared_from_this());
    }
    void on_data(const wire::websocket::ParseEvent& event);
    void on_frame(std::string_view text);
    void subscribe(const wire::WsClientFrame& frame);
    void unsubscribe(const wire::WsClientFrame& frame);
    void publish(wire::WsClientFrame frame);
    void query_presence(const wire::WsClientFrame& frame);
    void send_text(std::string_view json);
    void send_message(const core::MessagePtr& message);
    const std::string& encoded(const core::Message& message) const;
    bool has_room(const core::Message* next) const;
    /// Answers `forbidden` unless the token allows it.
    bool allowed(bool permitted, const wire::WsClientFrame& frame, std::string_view what);
    /// Sends a close frame, then ends the connection once it is written (or at the deadline).
    void close_with(wire::websocket::CloseCode code, std::string_view reason);
    /// Ends every subscription and its presence.
    void end_subscriptions();
    /// Storage could not read a subscription's history: the client is told (`unavailable`) and
    /// the subscription ends, so it may subscribe again from its last seq.
    void subscription_failed(const std::string& channel);

    CountedSlot address_slot_;
    runtime::ShardId shard_;
    core::ChannelService& channels_;
    const WsSettings& settings_;
    wire::websocket::FrameParser parser_;
    auth::GrantPtr grant_;
    TokenBucket publish_bucket_;
    core::ClientIdentity identity_;  // one per connection, in every channel's presence
    std::map<std::string, std::unique_ptr<Subscription>, std::less<>> subscriptions_;
    KeepaliveTicker::Tick last_ping_tick_ = 0;
    unsigned unanswered_pings_ = 0;
    bool deflate_;
};

}  // namespace herald::transport
