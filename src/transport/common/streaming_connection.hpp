#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include <boost/asio/buffer.hpp>

#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"
#include "transport/common/keepalive_ticker.hpp"
#include "transport/common/send_queue.hpp"
#include "transport/common/shard_services.hpp"
#include "transport/common/write_coalescer.hpp"
#include "util/sizes.hpp"

namespace herald::transport {

/// Bounds and deadlines of a long-lived connection; each default says why.
struct ConnectionSettings {
    std::size_t send_queue_bytes = kMiB;              // API.md Flow control: then a slow consumer
    std::chrono::milliseconds write_timeout{30'000};  // a write stalled this long: peer gone
    // From the last frame queued (a close frame) to the socket closed: a peer that stopped
    // reading cannot take that frame either, and must not hold its socket meanwhile.
    std::chrono::milliseconds close_timeout{5'000};
};

/// The connection under every streaming transport (SSE, NDJSON, WebSocket; HTTP/2 and gRPC
/// streams next): it owns the socket, the bounded send queue of shared encoded frames, the
/// coalesced gather write, the readability watch, the shard's ticks, the write-stall and
/// closing deadlines, and one close state machine. A transport is an adapter that derives from
/// it: it frames what it queues, handles what it reads, and adds work to ticks.
///
/// States: `open` (frames queue and leave), `closing` (a last frame is queued, nothing more;
/// once it is written the sending side is shut and the connection waits for the peer to end,
/// all within `close_timeout`), `closed` (the socket is closed; pending operations complete
/// and release the connection). A write that makes no progress for `write_timeout` closes it
/// in any state, as does a queue past its bound (`on_overflow`, a slow consumer).
/// Thread: its shard's only. Owned by its pending operations (shared_from_this).
class StreamingConnection : public KeepaliveTicker::Client,
                            public WriteCoalescer::Client,
                            public std::enable_shared_from_this<StreamingConnection> {
public:
    enum class State { open, closing, closed };

    ~StreamingConnection() override;

    State state() const { return state_; }

    // KeepaliveTicker::Client: the deadlines, then the adapter's `on_open_tick`.
    void on_tick(KeepaliveTicker::Tick now) final;
    // WriteCoalescer::Client
    void flush_deferred() final { do_flush(); }

protected:
    /// `head`: bytes that leave before any frame (an HTTP response head), then are freed.
    StreamingConnection(runtime::Socket&& socket, std::string head,
                        const ConnectionSettings& settings, ShardServices& services,
                        core::ShardMetrics& metrics);

    /// Joins the shard's ticks, sends the head and starts watching the socket. False when the
    /// server is stopping: the connection is closed then.
    [[nodiscard]] bool open();
    /// Queues a frame while open (ignored otherwise); past the queue's bound, `on_overflow`.
    void push(Frame frame);
    /// Queues `last` past the bound and starts closing: nothing more is queued or handed to
    /// `on_bytes`; once `last` is written the connection half-closes and waits for the peer.
    void finish(Frame last);
    /// Closes the socket now; idempotent. `on_closed` runs once.
    void close();

    /// Whether a history replay may queue a frame of `next_bytes` (SendQueue::has_replay_room).
    bool has_room(std::optional<std::size_t> next_bytes) const {
        return state_ == State::open && queue_.has_replay_room(next_bytes);
    }
    bool writing() const { return writing_; }
    /// The shard's executor, for work after the current handler.
    boost::asio::io_context::executor_type executor() { return socket_.get_executor(); }
    KeepaliveTicker::Tick last_write_tick() const { return last_write_tick_; }
    SendQueue& queue() { return queue_; }
    // References the connection holds, not parts of it: usable from const members too.
    KeepaliveTicker& ticker() const { return services_.ticker; }
    ShardServices& services() const { return services_; }
    core::ShardMetrics& metrics() const { return metrics_; }

    // The adapter's part.
    /// What the peer sent, while open. Parse it, or drop it (a stream's peer sends nothing).
    virtual void on_bytes(std::span<char> bytes) = 0;
    /// Each tick while open and within the deadlines: keepalives, pings.
    virtual void on_open_tick(KeepaliveTicker::Tick /*now*/) {}
    /// Bytes around the `pending_bytes` about to leave in one write (an HTTP chunk's size line
    /// and its CRLF); they must stay valid until the write completes. Default: none.
    virtual std::pair<boost::asio::const_buffer, boost::asio::const_buffer> framing(
            std::size_t /*pending_bytes*/) {
        return {};
    }
    /// Everything queued was written while open: a paused replay may go on.
    virtual void on_drained() {}
    /// The queue passed its bound: a slow consumer, already counted and logged. Default: closed.
    virtual void on_overflow() { close(); }
    /// The connection closed (any cause): stop streams, leave presence. Runs once.
    virtual void on_closed() {}
    /// A short name for logs: "ws", "sse", "stream".
    virtual const char* kind() const = 0;

private:
    void schedule_flush();
    void do_flush();
    void on_write(boost::system::error_code ec);
    void do_watch();
    void on_readable(boost::system::error_code ec);

    runtime::Socket socket_;
    std::string head_;
    const ConnectionSettings& settings_;
    ShardServices& services_;
    core::ShardMetrics& metrics_;
    SendQueue queue_;
    KeepaliveTicker::Tick last_write_tick_ = 0;  // when the write in flight (or the last) began
    KeepaliveTicker::Tick closing_tick_ = 0;     // when `finish` queued the last frame
    WriteCoalescer::Clock::time_point last_write_time_{};
    State state_ = State::open;
    bool flush_scheduled_ = false;
    bool writing_ = false;
};

}  // namespace herald::transport
