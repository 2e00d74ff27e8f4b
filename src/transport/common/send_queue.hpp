#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>

namespace herald::transport {

/// One frame to send: a view of bytes and whatever keeps them alive (the shared message whose
/// encoded form they are, or a string of the connection's own). Never a copy per subscriber.
struct Frame {
    std::shared_ptr<const void> owner;
    std::string_view bytes;

    /// A frame that owns its bytes (headers, gap events, keepalives).
    static Frame own(std::string bytes);
};

enum class Enqueued {
    queued,      // it will leave with the next write
    over_limit,  // the peer is too slow: past the byte bound; the caller closes the connection
};

/// The outbound queue of one streaming connection, bounded in bytes (API.md Flow control:
/// a subscriber that falls further behind is a slow consumer). Frames that queue while a write
/// is in flight leave together in one gather write. Pure bookkeeping: the connection does I/O.
/// Thread: its connection's shard.
class SendQueue {
public:
    explicit SendQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    /// Counts against the bound everything not yet written, in flight included.
    [[nodiscard]] Enqueued push(Frame frame);
    /// Queues past the bound: the last frame of a connection being closed (a close frame).
    void push_final(Frame frame);

    /// True when frames wait and no write is in flight: the caller should start one.
    bool ready() const { return !pending_.empty() && in_flight_.empty(); }
    bool writing() const { return !in_flight_.empty(); }

    /// Moves every pending frame in flight and returns their buffers, for one gather write.
    /// `before` and `after`, when not empty, frame them (an HTTP head, a chunk's size line and
    /// its CRLF); the caller keeps their bytes alive until `finish_write`.
    const std::vector<boost::asio::const_buffer>& start_write(boost::asio::const_buffer before = {},
                                                              boost::asio::const_buffer after = {});
    /// The write in flight completed: its frames are released.
    void finish_write();

    /// Counts a queued frame that carries a message, for /metrics.
    void count_message() { ++uncounted_messages_; }
    /// Messages counted since the last call: added to messages_delivered once per write.
    std::uint32_t take_counted_messages() { return std::exchange(uncounted_messages_, 0); }

    /// Bytes not yet written, in flight included.
    std::size_t queued_bytes() const { return queued_bytes_; }
    /// Bytes waiting for the next write.
    std::size_t pending_bytes() const { return queued_bytes_ - in_flight_bytes_; }
    std::size_t pending_frames() const { return pending_.size(); }
    std::size_t max_bytes() const { return max_bytes_; }

    /// Whether a history replay may queue a frame of `next_bytes` now; without it, whether
    /// another page is worth reading. Replay fills at most half the bound, so live messages
    /// keep room; an empty queue takes any frame whole.
    bool has_replay_room(std::optional<std::size_t> next_bytes) const {
        if (!next_bytes) return queued_bytes_ < max_bytes_ / 2;
        return queued_bytes_ == 0 || queued_bytes_ + *next_bytes <= max_bytes_ / 2;
    }

private:
    static constexpr std::size_t kKeptFrames = 8;  // capacity kept across writes

    std::size_t max_bytes_;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_bytes_ = 0;
    std::uint32_t uncounted_messages_ = 0;
    std::vector<Frame> pending_;
    std::vector<Frame> in_flight_;
    std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace herald::transport
