#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace herald::storage {

using Seq = std::uint64_t;

/// One message as the log keeps it. `data` is the JSON text of the payload.
struct StoredMessage {
    std::string channel;
    Seq seq = 0;
    std::string id;
    std::string event;
    std::string data;
    std::int64_t time = 0;  // ms since the Unix epoch, when the server received it
    // The first message the commit listener hears after storage lost the channel (Redis
    // restarted without it): its seqs start again, below what subscribers have seen.
    bool reset = false;
};

/// What a publisher hands the log; the log assigns `seq`.
struct AppendRequest {
    std::string channel;
    std::string id;          // the client's idempotency key, or a server-made id
    bool client_id = false;  // only client ids are remembered for deduplication
    std::string event;
    std::string data;
    std::int64_t time = 0;
};

enum class AppendStatus {
    stored,     // new: the message now has `seq`
    duplicate,  // the same (channel, id) was stored before: `seq`, `time` are the original's
    failed,     // the log could not store it (disk full, I/O error): nothing was stored
};

struct AppendResult {
    AppendStatus status = AppendStatus::failed;
    Seq seq = 0;
    std::string id;
    std::int64_t time = 0;
};

/// Called once per append, on the log's own thread: post elsewhere, never block.
using AppendCompletion = std::function<void(const AppendResult&)>;

/// Called once per batch of appends, results in request order, on the log's own thread.
using BatchCompletion = std::function<void(std::vector<AppendResult>&&)>;

/// The reader must go on from `first_seq`. Either history was trimmed (messages
/// `after + 1 .. first_seq - 1` are gone), or, with `reset`, the cursor is beyond the channel's
/// last seq: the storage lost the channel (or the cursor was made up), which starts again, and
/// the reader takes it from `first_seq` even though that is not after its cursor.
struct Gap {
    Seq after = 0;
    Seq first_seq = 0;
    bool reset = false;

    bool operator==(const Gap&) const = default;
};

struct ReadResult {
    std::vector<StoredMessage> messages;  // seq ascending
    Seq last_seq = 0;
    std::optional<Gap> gap;
    // Storage could not read (I/O error, corruption): an error for the reader, never a gap, or
    // it would skip messages that exist. Nothing else in the result counts then.
    bool failed = false;
};

/// A channel's position. Retained history is always the contiguous range first_seq..last_seq;
/// when everything was trimmed first_seq is last_seq + 1, and a channel never used is all 0.
struct ChannelState {
    std::string channel;
    Seq first_seq = 0;
    Seq last_seq = 0;

    bool has_history() const { return last_seq != 0 && first_seq <= last_seq; }
};

/// The gap a reader with cursor `after` must be told of, if any. Any cursor is valid input, the
/// largest included: nothing here may wrap.
inline std::optional<Gap> gap_for(const ChannelState& state, Seq after) {
    if (after > state.last_seq) {
        // The reset case of API.md: from the oldest retained, or after everything when none is.
        return Gap{after, state.has_history() ? state.first_seq : state.last_seq + 1, true};
    }
    // Here after <= last_seq, so after + 1 cannot wrap.
    if (state.first_seq <= after + 1) return std::nullopt;
    return Gap{after, state.first_seq, false};
}

/// The cursor a read goes on from: past the gap when there is one (before it, for a reset).
inline Seq cursor_after(Seq after, const std::optional<Gap>& gap) {
    return gap ? gap->first_seq - 1 : after;
}

}  // namespace herald::storage
