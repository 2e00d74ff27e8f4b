#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/channel_service.hpp"
#include "core/channel_subscribers.hpp"
#include "runtime/shard_id.hpp"

namespace herald::core {

/// Where a stream's messages go: the connection (SSE, HTTP stream, WebSocket) behind it.
/// Thread: the stream's shard.
class StreamSink {
public:
    virtual ~StreamSink() = default;
    /// The stream knows where the channel stands (its `last_seq` when it started), before any
    /// message or gap: a WebSocket says `subscribed` here.
    virtual void on_started(Seq /*last_seq*/) {}
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
/// with no gap and no duplicate at the seam. It subscribes before it asks storage where the
/// channel stands, and before it reads; until that answer, live messages are dropped like
/// those of a replay (below). A read may complete
/// later (storage reads off the shard): live messages delivered while replaying are dropped,
/// and the newest of them remembered; a page that ends the replay goes live only when it got
/// past every dropped seq, else it reads again. The hub posts a message to the shard only after
/// its commit, so a message is either in a read, or delivered after the replay went live, or
/// dropped and read again: never lost, and seqs already sent are dropped.
/// A long history is replayed page by page as the connection drains (`resume`), so a cursor
/// far back costs one page of memory, not the whole backlog.
/// Thread: its shard's only.
class ChannelStream final : public Subscriber {
public:
    ChannelStream(ChannelService& service, runtime::ShardId shard, std::string channel,
                  StreamSink& sink);
    ~ChannelStream() override { *alive_ = false; }

    /// Without a cursor, live only: messages published from now on (API.md), that is after the
    /// last_seq storage tells.
    void start(std::optional<Seq> after);
    /// The sink has room again: goes on with a paused replay.
    void resume();
    /// Unsubscribes; the sink hears nothing more.
    void stop();

    void deliver(const MessagePtr& message) override;

    const std::string& channel() const { return channel_; }
    runtime::ShardId shard() const { return shard_; }
    Seq last_sent() const { return last_sent_; }
    bool replaying() const { return replaying_; }

private:
    static constexpr std::size_t kReadPage = 1000;  // the read limit of API.md

    void on_position(std::optional<Seq> after, std::optional<storage::ChannelState> state);
    void replay();
    void on_page(ReadResult page);

    ChannelService& service_;
    runtime::ShardId shard_;
    std::string channel_;
    StreamSink& sink_;
    Subscription subscription_;
    Seq last_sent_ = 0;
    Seq dropped_up_to_ = 0;  // the newest live seq dropped while replaying
    bool replaying_ = false;
    bool reading_ = false;  // a page is being read
    // Shared with pending reads: false once stopped or destroyed, so a late page is ignored.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace herald::core
