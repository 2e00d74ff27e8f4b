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
#include "transport/common/keepalive_ticker.hpp"
#include "transport/common/send_queue.hpp"
#include "transport/common/shard_services.hpp"
#include "transport/stream/stream_settings.hpp"
#include "transport/websocket/ws_settings.hpp"
#include "util/counted_slot.hpp"
#include "util/token_bucket.hpp"
#include "wire/websocket/frame.hpp"
#include "wire/websocket/frame_parser.hpp"
#include "wire/ws_messages.hpp"

namespace herald::transport {

/// One WebSocket connection after its upgrade (API.md WebSocket): text frames of JSON both
/// ways, several channel subscriptions, publish with ack after commit. Frames are read with
/// our RFC 6455 codec straight from the socket into a buffer on the stack of the read handler,
/// so an idle connection holds no read buffer; messages go out as frames encoded once per
/// message (WireForm::websocket, or websocket_deflate with permessage-deflate) and shared by
/// every subscriber. Timers, zlib states and write coalescing are the shard's (ShardServices).
/// Thread: its shard's only. Owned by its pending socket operations.
class WsSession final : public KeepaliveTicker::Client,
                        public WriteCoalescer::Client,
                        public std::enable_shared_from_this<WsSession> {
public:
    struct Setup {
        std::size_t shard = 0;
        std::string head;          // the 101 answer
        bool deflate = false;      // permessage-deflate was agreed
        auth::GrantPtr grant;      // what the upgrade's token allows
        CountedSlot address_slot;  // limits.max_connections_per_ip, until the connection ends
    };

    WsSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
              ShardServices& services, const StreamSettings& streams, const WsSettings& settings,
              core::ServerMetrics& metrics);
    ~WsSession() override;

    /// `unread`: frames the client sent along with its upgrade request.
    void start(std::string unread);

    // KeepaliveTicker::Client: pings, and drops a peer that missed two pongs.
    void on_tick(KeepaliveTicker::Tick now) override;
    void on_shutdown() override;
    // WriteCoalescer::Client
    void flush_deferred() override { do_flush(); }

private:
    class Subscription;

    void do_watch();
    void on_readable(boost::system::error_code ec);
    /// Parses what a read delivered; false once the connection is closed.
    void on_bytes(std::span<char> input);
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
    void push(Frame frame);
    void schedule_flush();
    void do_flush();
    void on_write(boost::system::error_code ec);
    /// Sends a close frame, then ends the connection once it is written.
    void close_with(wire::websocket::CloseCode code, std::string_view reason);
    void close();

    runtime::Socket socket_;
    CountedSlot address_slot_;
    std::size_t shard_;
    std::string head_;  // the 101 answer, sent first, then freed
    core::ChannelService& channels_;
    ShardServices& services_;
    KeepaliveTicker& ticker_;
    const WsSettings& settings_;
    core::ServerMetrics& metrics_;
    wire::websocket::FrameParser parser_;
    SendQueue queue_;
    auth::GrantPtr grant_;
    TokenBucket publish_bucket_;
    core::ClientIdentity identity_;  // one per connection, in every channel's presence
    std::map<std::string, std::unique_ptr<Subscription>, std::less<>> subscriptions_;
    KeepaliveTicker::Tick last_ping_tick_ = 0;
    unsigned unanswered_pings_ = 0;
    KeepaliveTicker::Tick close_sent_tick_ = 0;
    KeepaliveTicker::Tick closing_tick_ = 0;     // when the close frame was queued
    KeepaliveTicker::Tick last_write_tick_ = 0;  // when the write in flight started
    std::chrono::milliseconds write_timeout_;    // a write stalled this long: the peer is gone
    WriteCoalescer::Clock::time_point last_write_time_{};
    bool deflate_;
    bool close_sent_ = false;  // our close frame is written; waiting for the peer to end
    bool flush_scheduled_ = false;
    bool writing_ = false;
    bool closing_ = false;  // a close frame is queued: nothing more is sent or read
    bool closed_ = false;
};

}  // namespace herald::transport
