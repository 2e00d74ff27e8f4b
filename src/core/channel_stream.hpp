#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/channel_service.hpp"
#include "core/channel_subscribers.hpp"

namespace herald::core {

/// Where a stream's messages go: the connection (SSE, HTTP stream, WebSocket) behind it.
/// Thread: the stream's shard.
class StreamSink {
public:
    virtual ~StreamSink() = default;
    virtual void on_message(const MessagePtr& message) = 0;
    /// Messages `gap.after + 1 .. gap.first_seq - 1` are gone (trimmed by retention), or, for a
    /// reset, the channel starts again at `gap.first_seq`.
    virtual void on_gap(const Gap& gap) = 0;
    /// Storage could not read the history to replay: the stream has stopped, and must end (or
    /// tell its client) rather than skip what it could not read.
    virtual void on_read_failed() = 0;
    /// Whether history replay may send `next` now; false pauses it until `resume`. Without
    /// `next`: whether another page is worth reading.
    virtual bool has_room(const Message* next) const = 0;
};

/// One stream's subscription to one channel: history after a cursor first, then live messages,
/// with no gap and no duplicate at the seam. It subscribes before it reads, and both happen in
/// one handler of its shard; the hub posts a message to the shard only after its commit, so a
/// message is either in the read or delivered afterwards, and seqs already sent are dropped.
/// A long history is replayed page by page as the connection drains (`resume`), so a cursor
/// far back costs one page of memory, not the whole backlog; live messages that arrive
/// meanwhile are dropped and read back from the log in their turn.
/// Thread: its shard's only.
class ChannelStream final : public Subscriber {
public:
    ChannelStream(ChannelService& service, std::size_t shard, std::string channel,
                  StreamSink& sink);

    /// Without a cursor, live only: messages published from now on (API.md).
    void start(std::optional<Seq> after);
    /// The sink has room again: goes on with a paused replay.
    void resume();
    /// Unsubscribes; the sink hears nothing more.
    void stop();

    void deliver(const MessagePtr& message) override;

    const std::string& channel() const { return channel_; }
    std::size_t shard() const { return shard_; }
    Seq last_sent() const { return last_sent_; }
    bool replaying() const { return replaying_; }

private:
    static constexpr std::size_t kReadPage = 1000;  // the read limit of API.md

    void replay();

    ChannelService& service_;
    std::size_t shard_;
    std::string channel_;
    StreamSink& sink_;
    Subscription subscription_;
    Seq last_sent_ = 0;
    bool replaying_ = false;
};

}  // namespace herald::core
