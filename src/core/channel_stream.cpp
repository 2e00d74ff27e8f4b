#include "core/channel_stream.hpp"

namespace herald::core {

ChannelStream::ChannelStream(ChannelService& service, runtime::ShardId shard, std::string channel,
                             StreamSink& sink)
    : service_(service), shard_(shard), channel_(std::move(channel)), sink_(sink) {}

void ChannelStream::start(std::optional<Seq> after) {
    subscription_ = service_.hub().subscribe(shard_, channel_, this);
    replaying_ = true;  // live messages wait for the position, as for a replay
    reading_ = true;
    service_.position(shard_, channel_,
                      [this, after, alive = alive_](std::optional<storage::ChannelState> state) {
                          if (*alive) on_position(after, std::move(state));
                      });
}

void ChannelStream::on_position(std::optional<Seq> after,
                                std::optional<storage::ChannelState> state) {
    reading_ = false;
    if (!state) {
        stop();
        return sink_.on_read_failed();
    }
    sink_.on_started(state->last_seq);
    if (!subscription_.active()) return;  // the sink stopped the stream
    // Live only: from the position, unless messages came (and were dropped) meanwhile.
    last_sent_ = after.value_or(state->last_seq);
    if (!after && dropped_up_to_ <= last_sent_) {
        replaying_ = false;
        return;
    }
    replay();
}

void ChannelStream::resume() {
    if (replaying_ && subscription_.active()) replay();
}

void ChannelStream::replay() {
    if (reading_ || !sink_.has_room(nullptr)) return;  // one page at a time, when there is room
    reading_ = true;
    service_.read(shard_, channel_, last_sent_, kReadPage, [this, alive = alive_](ReadResult page) {
        if (*alive) on_page(std::move(page));
    });
}

void ChannelStream::on_page(ReadResult page) {
    reading_ = false;
    if (!replaying_) return;
    if (page.failed) {
        stop();
        return sink_.on_read_failed();
    }
    // Retention may also trim between two pages of a paused replay: announce that too. A
    // reset gap moves the cursor back: the channel starts again below it.
    if (page.gap) {
        sink_.on_gap(*page.gap);
        last_sent_ = page.gap->first_seq - 1;
    }
    for (const MessagePtr& message : page.messages) {
        if (message->seq() <= last_sent_) continue;
        // Full mid-page: the rest is read again when the sink drains (resume).
        if (!sink_.has_room(message.get())) return;
        sink_.on_message(message);
        last_sent_ = message->seq();
    }
    if (page.messages.size() == kReadPage || dropped_up_to_ > last_sent_) {
        return replay();  // more history, or live messages dropped meanwhile to read back
    }
    replaying_ = false;  // caught up with the log: live from here
}

void ChannelStream::stop() {
    subscription_.reset();
    replaying_ = false;
    reading_ = false;
    *alive_ = false;
    alive_ = std::make_shared<bool>(true);  // a later start reads afresh
}

void ChannelStream::deliver(const MessagePtr& message) {
    // While replaying, the log has this message and the replay reads it in its turn.
    if (replaying_) {
        dropped_up_to_ = std::max(dropped_up_to_, message->seq());
        return;
    }
    if (message->resets() && message->seq() <= last_sent_) {
        // Storage lost the channel, which started again: the reset gap of API.md, then on.
        sink_.on_gap(Gap{last_sent_, message->seq(), true});
        last_sent_ = message->seq() - 1;
    }
    if (message->seq() <= last_sent_) return;
    if (message->seq() > last_sent_ + 1) {
        // Cannot happen while the log keeps what it commits; say so rather than skip silently.
        sink_.on_gap(Gap{last_sent_, message->seq()});
    }
    sink_.on_message(message);
    last_sent_ = message->seq();
}

}  // namespace herald::core
