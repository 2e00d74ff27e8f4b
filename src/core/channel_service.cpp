#include "core/channel_service.hpp"

#include <chrono>

#include "util/clock.hpp"

namespace herald::core {

ChannelService::ChannelService(storage::MessageLog& log, Hub& hub, runtime::ShardGroup& shards,
                               ServerMetrics& metrics)
    : log_(log), hub_(hub), shards_(shards), metrics_(metrics), ids_(shards.size()) {}

void ChannelService::publish(std::size_t shard, PublishRequest request,
                             std::function<void(const PublishResult&)> done) {
    const auto started = std::chrono::steady_clock::now();
    storage::AppendRequest append;
    append.time = unix_millis();
    append.client_id = request.id.has_value();
    append.id = request.id ? std::move(*request.id) : ids_[shard].next(append.time);
    append.channel = std::move(request.channel);
    append.event = std::move(request.event);
    append.data = std::move(request.data);
    std::string channel = append.channel;
    log_.append(std::move(append), [this, shard, started, channel = std::move(channel),
                                    done = std::move(done)](const storage::AppendResult& stored) {
        // On the log's thread: count, then hop back to the publisher's shard.
        PublishResult result{PublishStatus::failed, channel, stored.seq, stored.id, stored.time};
        switch (stored.status) {
            case storage::AppendStatus::stored:
                result.status = PublishStatus::created;
                metrics_.messages_published.inc();
                break;
            case storage::AppendStatus::duplicate:
                result.status = PublishStatus::duplicate;
                metrics_.messages_deduplicated.inc();
                break;
            case storage::AppendStatus::failed:
                metrics_.publish_failures.inc();
                break;
        }
        metrics_.publish_latency.observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        shards_[shard].post([done, result = std::move(result)] { done(result); });
    });
}

ReadResult ChannelService::read(std::string_view channel, std::optional<Seq> after,
                                std::size_t limit) {
    storage::ReadResult stored = log_.read(channel, after, limit);
    ReadResult result{{}, stored.last_seq, stored.gap};
    result.messages.reserve(stored.messages.size());
    for (auto& message : stored.messages) {
        result.messages.push_back(std::make_shared<const Message>(std::move(message)));
    }
    return result;
}

void ChannelService::info(std::size_t shard, std::string channel,
                          std::function<void(ChannelInfo)> done) {
    storage::ChannelState state = log_.channel(channel);
    hub_.count_subscribers(channel, shard, [state, done = std::move(done)](SubscriberCounts counts) {
        auto it = counts.find(state.channel);
        const bool empty = !state.has_history();
        // An empty channel reads as all zeros; a trimmed one keeps its last_seq.
        done(ChannelInfo{state.channel, empty ? 0 : state.first_seq, state.last_seq,
                         it == counts.end() ? 0 : it->second});
    });
}

void ChannelService::list(std::size_t shard, std::string prefix,
                          std::function<void(std::vector<ChannelInfo>)> done) {
    std::vector<storage::ChannelState> states = log_.channels(prefix);
    hub_.count_subscribers(prefix, shard, [this, states = std::move(states),
                                           done = std::move(done)](SubscriberCounts counts) {
        std::map<std::string, ChannelInfo> merged;
        for (const auto& state : states) {
            merged[state.channel] = ChannelInfo{state.channel, state.first_seq, state.last_seq, 0};
        }
        for (const auto& [channel, count] : counts) {
            auto [it, added] = merged.try_emplace(channel, ChannelInfo{channel, 0, 0, 0});
            if (added) {  // subscribed but without history: still a channel people use
                storage::ChannelState state = log_.channel(channel);
                it->second.last_seq = state.last_seq;
            }
            it->second.subscribers = count;
        }
        std::vector<ChannelInfo> result;
        result.reserve(merged.size());
        for (auto& [name, info] : merged) result.push_back(std::move(info));
        done(std::move(result));
    });
}

}  // namespace herald::core
