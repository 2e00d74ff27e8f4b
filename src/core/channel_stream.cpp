#include "core/channel_stream.hpp"

namespace herald::core {

ChannelStream::ChannelStream(ChannelService& service, std::size_t shard, std::string channel,
                             StreamSink& sink)
    : service_(service), shard_(shard), channel_(std::move(channel)), sink_(sink) {}

void ChannelStream::start(std::optional<Seq> after) {
    subscription_ = service_.hub().subscribe(shard_, channel_, this);
    if (!after) {
        last_sent_ = service_.read(channel_, std::nullopt, 1).last_seq;
        return;
    }
    last_sent_ = *after;
    for (bool first_page = true;; first_page = false) {
        ReadResult page = service_.read(channel_, last_sent_, kReadPage);
        if (first_page && page.gap) {
            sink_.on_gap(*page.gap);
            last_sent_ = std::max(last_sent_, page.gap->first_seq - 1);
        }
        for (const MessagePtr& message : page.messages) {
            sink_.on_message(message);
            last_sent_ = message->seq();
        }
        if (page.messages.size() < kReadPage) return;  // caught up with the snapshot
    }
}

void ChannelStream::deliver(const MessagePtr& message) {
    if (message->seq() <= last_sent_) return;  // already sent from history
    if (message->seq() > last_sent_ + 1) {
        // Cannot happen while the log keeps what it commits; say so rather than skip silently.
        sink_.on_gap(Gap{last_sent_, message->seq()});
    }
    sink_.on_message(message);
    last_sent_ = message->seq();
}

void ChannelStream::close(CloseReason reason) {
    subscription_.reset();
    sink_.on_close(reason);
}

}  // namespace herald::core
