#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/channel_stream.hpp"
#include "core/presence.hpp"
#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"
#include "transport/common/keepalive_ticker.hpp"
#include "transport/common/send_queue.hpp"
#include "transport/common/shard_services.hpp"
#include "transport/common/write_coalescer.hpp"
#include "transport/stream/stream_settings.hpp"
#include "util/counted_slot.hpp"

namespace herald::transport {

/// One SSE or NDJSON response after its head: the connection only sends from then on. It owns
/// its socket, a bounded queue of shared encoded frames and its channel subscription; no
/// parser, no read buffer and no timer of its own (the shard's KeepaliveTicker serves all), so
/// an idle stream costs little more than its socket.
/// Frames queued in one loop turn leave in one gather write, as one HTTP chunk.
/// Thread: its shard's only. Owned by its pending socket operations.
class StreamSession final : public core::StreamSink,
                            public KeepaliveTicker::Client,
                            public WriteCoalescer::Client,
                            public std::enable_shared_from_this<StreamSession> {
public:
    struct Setup {
        StreamFormat format = StreamFormat::sse;
        bool chunked = true;  // HTTP/1.1; an HTTP/1.0 body ends when the connection does
        std::size_t shard = 0;
        std::string channel;
        std::string head;                 // the response's status line and headers
        std::optional<std::string> user;  // the token's sub, for presence
        CountedSlot address_slot;         // limits.max_connections_per_ip, until the end
    };

    StreamSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
                  ShardServices& services, const StreamSettings& settings,
                  core::ServerMetrics& metrics);
    ~StreamSession() override;

    /// Sends the head (and `retry:`), then history after `after`, then live messages.
    void start(std::optional<core::Seq> after);
    /// Ends the stream: the peer left, fell behind, or the server stops.
    void close(core::CloseReason reason);

    // core::StreamSink
    void on_message(const core::MessagePtr& message) override;
    void on_gap(const core::Gap& gap) override;
    void on_close(core::CloseReason reason) override { close(reason); }
    bool has_room(const core::Message* next) const override;

    // KeepaliveTicker::Client
    void on_tick(KeepaliveTicker::Tick now) override;
    void on_shutdown() override { close(core::CloseReason::shutdown); }
    // WriteCoalescer::Client
    void flush_deferred() override { do_flush(); }

private:
    const std::string& encoded(const core::Message& message) const;
    void push(Frame frame);
    void schedule_flush();
    void do_flush();
    void on_write(boost::system::error_code ec);
    void do_watch();
    void on_watch(boost::system::error_code ec);
    Gauge& connections_gauge() const;

    runtime::Socket socket_;
    CountedSlot address_slot_;
    core::ChannelStream stream_;
    SendQueue queue_;
    KeepaliveTicker& ticker_;
    WriteCoalescer& coalescer_;
    core::Presence& presence_;
    core::ClientIdentity identity_;
    core::PresenceMembership membership_;  // while the stream is open
    const StreamSettings& settings_;
    core::ServerMetrics& metrics_;
    std::string head_;                 // sent before the first chunk, then freed
    std::array<char, 20> chunk_size_;  // "<hex>\r\n" of the chunk in flight
    KeepaliveTicker::Tick last_write_tick_ = 0;
    WriteCoalescer::Clock::time_point last_write_time_{};
    StreamFormat format_;
    bool chunked_;
    bool flush_scheduled_ = false;
    bool writing_ = false;  // the queue's frames or the head alone are being written
    bool closed_ = false;
};

}  // namespace herald::transport
