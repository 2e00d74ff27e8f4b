#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/channel_stream.hpp"
#include "core/presence.hpp"
#include "runtime/shard_id.hpp"
#include "transport/common/streaming_connection.hpp"
#include "transport/stream/stream_settings.hpp"
#include "util/counted_slot.hpp"

namespace herald::transport {

/// One SSE or NDJSON response after its head: the connection only sends from then on. An
/// adapter over the StreamingConnection: it frames what leaves as HTTP chunks, sends keepalives
/// and owns the channel subscription; no parser and no read buffer, so an idle stream costs
/// little more than its socket. Frames queued in one loop turn leave in one write, one chunk.
/// Thread: its shard's only. Owned by its pending socket operations.
class StreamSession final : public StreamingConnection, public core::StreamSink {
public:
    struct Setup {
        StreamFormat format = StreamFormat::sse;
        bool chunked = true;  // HTTP/1.1; an HTTP/1.0 body ends when the connection does
        runtime::ShardId shard;
        std::string channel;
        std::string head;                 // the response's status line and headers
        std::optional<std::string> user;  // the token's sub, for presence
        CountedSlot address_slot;         // limits.max_connections_per_ip, until the end
    };

    StreamSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
                  ShardServices& services, const StreamSettings& settings,
                  const ConnectionSettings& connection, core::ShardMetrics& metrics);
    ~StreamSession() override;

    /// Sends the head (and `retry:`), then history after `after`, then live messages.
    void start(std::optional<core::Seq> after);

    // core::StreamSink
    void on_message(const core::MessagePtr& message) override;
    void on_gap(const core::Gap& gap) override;
    // The response ends, head and last chunk sent: the client resumes from its last id, and
    // nothing is skipped.
    void on_read_failed() override { finish(Frame::own("")); }
    bool has_room(const core::Message* next) const override;

    // KeepaliveTicker::Client: the server stops. The response ends cleanly, what is queued and
    // the last chunk sent: the client resumes from its last id elsewhere.
    void on_shutdown() override { finish(Frame::own("")); }

private:
    // StreamingConnection
    void on_bytes(std::span<char>) override {}  // the client sends nothing after its request
    void on_open_tick(KeepaliveTicker::Tick now) override;
    std::pair<boost::asio::const_buffer, boost::asio::const_buffer> framing(
            std::size_t pending_bytes) override;
    void on_drained() override { stream_.resume(); }  // a paused replay goes on
    void on_closed() override;
    const char* kind() const override { return format_ == StreamFormat::sse ? "sse" : "stream"; }

    const std::string& encoded(const core::Message& message) const;
    Gauge& connections_gauge() const;

    CountedSlot address_slot_;
    core::ChannelStream stream_;
    core::ClientIdentity identity_;
    core::PresenceMembership membership_;  // while the stream is open
    const StreamSettings& settings_;
    std::array<char, 20> chunk_size_;  // "<hex>\r\n" of the chunk in flight
    StreamFormat format_;
    bool chunked_;
};

}  // namespace herald::transport
