#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/stored_message.hpp"

namespace herald::storage {

/// How much history a channel keeps. Older messages are trimmed and reported as a gap.
struct RetentionPolicy {
    std::size_t max_messages = 1000;  // per channel
    std::chrono::milliseconds max_age = std::chrono::hours(24);
    std::chrono::milliseconds dedupe_window = std::chrono::hours(24);  // API.md: idempotency
    std::chrono::milliseconds sweep_interval = std::chrono::seconds(1);
};

/// The ordered, durable log of every channel: the one place where a channel's order is decided.
/// Thread: `append` from any thread, completions and the commit listener run on the log's own
/// thread in commit order; reads from any thread, answered on a storage thread (or on the
/// calling one, before `read` returns, when nothing has to be read from disk).
class MessageLog {
public:
    /// Receives every batch of committed messages (of the channels followed, where the log
    /// filters: `follow`), in seq order per channel. Runs on the log's thread (or under its
    /// lock): it must only hand the batch on.
    using CommitListener = std::function<void(std::vector<StoredMessage>&&)>;
    /// Told of channels whose commits the listener may have stopped hearing: what was kept of
    /// them from its feed (the window of recent messages) may be stale, and must be dropped.
    /// Runs where the commit listener runs, in order with it.
    using ForgetListener = std::function<void(std::vector<std::string>&&)>;

    virtual ~MessageLog() = default;

    /// Set once, before the first append.
    virtual void set_commit_listener(CommitListener listener) = 0;

    /// Stores the messages (or finds their duplicates), in order, then calls `done` once.
    /// Nothing reaches the commit listener before it is committed. One call per publisher
    /// shard and loop turn keeps cross-thread hand-offs to one per batch, not per message.
    virtual void append_batch(std::vector<AppendRequest> requests, BatchCompletion done) = 0;

    /// One message: `append_batch` of one.
    void append(AppendRequest request, AppendCompletion done) {
        std::vector<AppendRequest> batch;
        batch.push_back(std::move(request));
        append_batch(std::move(batch),
                     [done = std::move(done)](std::vector<AppendResult>&& results) {
                         done(results.front());
                     });
    }

    /// Called once with what a read found, or `failed`. It must only hand the result on (post
    /// it to the asking shard): it may run on a storage thread.
    using ReadCompletion = std::function<void(ReadResult&&)>;

    /// Messages with seq > `after` (from the oldest retained when absent), at most `limit`.
    /// Never blocks the caller on disk: what must be read from disk is read on a storage
    /// thread, which calls `done`.
    virtual void read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
                      ReadCompletion done) = 0;

    /// A channel's position (all zeros when never used), or none when storage could not tell.
    /// Called once, like a read's completion: it must only hand the answer on.
    using StateCompletion = std::function<void(std::optional<ChannelState>)>;
    virtual void channel(std::string_view channel, StateCompletion done) = 0;

    /// Every channel ever used (last_seq above 0, retained history or not) whose name starts
    /// with `prefix`, by name; none when storage could not tell. Called once, like `channel`'s.
    using ListCompletion = std::function<void(std::optional<std::vector<ChannelState>>)>;
    virtual void channels(std::string_view prefix, ListCompletion done) = 0;

    /// Whether the log can serve reads and writes (/readyz): `done` runs once, like a read's.
    virtual void check_ready(std::function<void(bool)> done) = 0;

    /// This node has (`following`), or no longer has, a local subscriber to `channel`; calls
    /// are counted, so each `true` is matched by one `false`. A log shared by several nodes
    /// (Redis) feeds its listener only what is followed. A read or position asked after
    /// `follow(channel, true)` is answered once the feed of the channel is in place (or fails
    /// in the log's timeout), so a subscriber that follows, then reads, misses nothing between.
    /// A node's own log feeds everything: the default does nothing.
    virtual void follow(std::string_view /*channel*/, bool /*following*/) {}
    /// Set once, before the first `follow`. The default log never forgets.
    virtual void set_forget_listener(ForgetListener /*listener*/) {}

    /// Whether the commit listener hears every committed message before its append completes,
    /// as one node's own log does: then the window of recent messages it feeds knows the head,
    /// and may answer "nothing newer". A log shared by several nodes (Redis) tells its listener
    /// later, so a read at the window's head must ask it.
    virtual bool announces_before_completion() const { return true; }

    /// Waits for pending appends to finish, then stops the log's thread.
    virtual void close() = 0;
};

}  // namespace herald::storage
