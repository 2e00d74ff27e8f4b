#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"

namespace herald::core {

/// The newest committed messages of each channel, kept as the shared Message objects the hub
/// delivers (their JSON and wire forms encoded once), indexed by seq. A read near the head (a
/// poll, a long poll that finds messages waiting, a subscriber resuming a few seconds behind)
/// is answered from here without touching storage or decoding and encoding again; storage is
/// read only for older history.
///
/// Bounded per channel by a count and bytes, and in all by bytes: past the total, the channel
/// whose messages are the oldest loses its window first. A window always holds a contiguous
/// range of seqs ending at the newest committed one the hub has seen.
/// Thread: `add` on the log's thread (the hub's commit listener, before it posts the batch to
/// the shards); `read` from any shard. One mutex, held for an index lookup and a copy of
/// pointers.
class RecentMessages {
public:
    struct Bounds {
        std::size_t messages_per_channel = 1000;
        std::size_t bytes_per_channel = 1 << 20;
        std::size_t total_bytes = 64 << 20;
        std::chrono::milliseconds max_age{24 * 3'600'000};  // history.max_age: older is trimmed
    };

    /// What the window answers: every message after the cursor up to the newest, or `limit`.
    struct Read {
        std::vector<MessagePtr> messages;
        Seq last_seq = 0;
    };

    explicit RecentMessages(Bounds bounds) : bounds_(bounds) {}

    /// Adds a committed batch, in seq order per channel.
    void add(const std::vector<MessagePtr>& batch);

    /// Drops the channel's window: the log's feed of it stopped (a cluster node no longer
    /// follows it, or lost Redis), so it may no longer end at the newest message.
    void forget(std::string_view channel);

    /// Messages with seq > `after`, at most `limit`, when the window holds all of them up to
    /// its newest; nothing when storage must answer (the cursor is older than the window, or
    /// beyond its newest, a reset or a seq not added yet; or retention by age may have trimmed
    /// what would be sent). `now_ms`: the time, ms since the Unix epoch.
    std::optional<Read> read(std::string_view channel, Seq after, std::size_t limit,
                             std::int64_t now_ms) const;

    std::size_t total_bytes() const;

private:
    struct Window {
        std::deque<MessagePtr> messages;  // contiguous seqs, oldest first
        std::size_t bytes = 0;
        std::list<std::string>::iterator age;  // its place in `by_age_`
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };

    static std::size_t cost(const Message& message);
    void drop_oldest(Window& window);
    void evict_for_total();

    Bounds bounds_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Window, Hash, std::equal_to<>> windows_;
    std::list<std::string> by_age_;  // channels, the one added to longest ago first
    std::size_t total_bytes_ = 0;
};

}  // namespace herald::core
