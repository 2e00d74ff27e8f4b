#include "core/hub.hpp"

namespace herald::core {

Hub::Hub(runtime::ShardGroup& shards, RecentMessages::Bounds recent)
    : shards_(shards), recent_(recent) {
    for (std::size_t i = 0; i < shards.size(); ++i) {
        locals_.push_back(std::make_unique<ChannelSubscribers>());
    }
}

Subscription Hub::subscribe(runtime::ShardId shard, const std::string& channel,
                            Subscriber* subscriber) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    ChannelSubscribers& local = *locals_[shard.value];
    if (!local.add(channel, subscriber)) return Subscription{};
    return Subscription(local, channel, subscriber);
}

void Hub::set_occupancy_listener(
        std::function<void(runtime::ShardId, const std::string&, bool)> listener) {
    for (std::size_t i = 0; i < locals_.size(); ++i) {
        if (!listener) {
            locals_[i]->set_occupancy_listener(nullptr);
            continue;
        }
        locals_[i]->set_occupancy_listener(
                [shard = runtime::ShardId(i), listener](const std::string& channel, bool occupied) {
                    listener(shard, channel, occupied);
                });
    }
}

void Hub::set_count_listener(std::function<void(const std::string&, int)> listener) {
    for (auto& local : locals_)
        local->set_count_listener(listener);
}

void Hub::on_forgotten(const std::vector<std::string>& channels) {
    for (const std::string& channel : channels)
        recent_.forget(channel);
}

void Hub::on_committed(std::vector<storage::StoredMessage>&& batch) {
    auto messages = std::make_shared<std::vector<MessagePtr>>();
    messages->reserve(batch.size());
    for (auto& stored : batch)
        messages->push_back(std::make_shared<const Message>(std::move(stored)));
    // Before any shard can deliver it: whoever reads after seeing a message finds it here.
    recent_.add(*messages);
    // FIFO posting keeps each channel's order on every shard.
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        shards_[runtime::ShardId(i)].post([local = locals_[i].get(), messages] {
            if (local->total() == 0) return;
            for (const MessagePtr& message : *messages)
                local->deliver(message);
        });
    }
}

void Hub::count_subscribers(std::string prefix, runtime::ShardId from,
                            std::function<void(SubscriberCounts)> done) {
    count_on(runtime::ShardId(0), std::move(prefix), from, std::make_shared<SubscriberCounts>(),
             std::move(done));
}

void Hub::count_on(runtime::ShardId shard, std::string prefix, runtime::ShardId from,
                   std::shared_ptr<SubscriberCounts> counts,
                   std::function<void(SubscriberCounts)> done) {
    if (shard.value == shards_.size()) {
        shards_[from].post([counts, done = std::move(done)] { done(std::move(*counts)); });
        return;
    }
    shards_[shard].post([this, shard, prefix = std::move(prefix), from, counts,
                         done = std::move(done)]() mutable {
        locals_[shard.value]->add_counts(prefix, *counts);
        count_on(runtime::ShardId(shard.value + 1), std::move(prefix), from, std::move(counts),
                 std::move(done));
    });
}

}  // namespace herald::core
