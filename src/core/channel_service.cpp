#include "core/channel_service.hpp"

#include <chrono>
#include <map>

#include "core/shared_counts.hpp"
#include "util/clock.hpp"

namespace herald::core {

namespace {

/// The channel list: every channel with retained history or subscribers, by name. A subscribed
/// channel without history keeps its last_seq (0 when never used).
std::vector<ChannelInfo> merge_listing(const std::vector<storage::ChannelState>& states,
                                       const SubscriberCounts& counts) {
    std::map<std::string, ChannelInfo> merged;
    for (const auto& state : states) {
        const bool subscribed = counts.contains(state.channel);
        if (!state.has_history() && !subscribed) continue;
        merged[state.channel] = ChannelInfo{
                state.channel, state.has_history() ? state.first_seq : 0, state.last_seq, 0};
    }
    for (const auto& [channel, count] : counts) {
        merged.try_emplace(channel, ChannelInfo{channel, 0, 0, 0}).first->second.subscribers =
                count;
    }
    std::vector<ChannelInfo> result;
    result.reserve(merged.size());
    for (auto& [name, info] : merged)
        result.push_back(std::move(info));
    return result;
}

}  // namespace

ChannelService::ChannelService(storage::MessageLog& log, Hub& hub, runtime::ShardGroup& shards,
                               ServerMetrics& metrics)
    : log_(log),
      hub_(hub),
      shards_(shards),
      metrics_(metrics),
      ids_(shards.size()),
      queues_(shards.size()) {}

void ChannelService::publish(runtime::ShardId shard, PublishRequest request,
                             std::function<void(const PublishResult&)> done) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    storage::AppendRequest append;
    append.time = unix_millis();
    append.client_id = request.id.has_value();
    append.id = request.id ? std::move(*request.id) : ids_[shard.value].next(append.time);
    append.channel = std::move(request.channel);
    append.event = std::move(request.event);
    append.data = std::move(request.data);

    PublishQueue& queue = queues_[shard.value];
    queue.waiting.push_back(
            WaitingPublish{append.channel, std::chrono::steady_clock::now(), std::move(done)});
    queue.requests.push_back(std::move(append));
    if (std::exchange(queue.flush_scheduled, true)) return;
    // Runs after the requests this shard has already read: they all go to the log in one
    // hand-off, and their answers come back in one.
    shards_[shard].post([this, shard] { flush_publishes(shard); });
}

void ChannelService::flush_publishes(runtime::ShardId shard) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    PublishQueue& queue = queues_[shard.value];
    queue.flush_scheduled = false;
    log_.append_batch(std::move(queue.requests),
                      [this, shard, waiting = std::move(queue.waiting)](
                              std::vector<storage::AppendResult>&& results) mutable {
                          // On the log's thread: hop back to the publishers' shard.
                          shards_[shard].post([this, shard, waiting = std::move(waiting),
                                               results = std::move(results)]() mutable {
                              complete_publishes(shard, waiting, results);
                          });
                      });
    queue.requests.clear();
    queue.waiting.clear();
}

void ChannelService::complete_publishes(runtime::ShardId shard,
                                        std::vector<WaitingPublish>& waiting,
                                        std::vector<storage::AppendResult>& results) {
    ShardMetrics& metrics = metrics_.shard(shard);
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < waiting.size(); ++i) {
        storage::AppendResult& stored = results[i];
        PublishResult result{PublishStatus::failed, std::move(waiting[i].channel), stored.seq,
                             std::move(stored.id), stored.time};
        switch (stored.status) {
            case storage::AppendStatus::stored:
                result.status = PublishStatus::created;
                metrics.messages_published.inc();
                break;
            case storage::AppendStatus::duplicate:
                result.status = PublishStatus::duplicate;
                metrics.messages_deduplicated.inc();
                break;
            case storage::AppendStatus::failed: metrics.publish_failures.inc(); break;
        }
        metrics.publish_latency.observe(
                std::chrono::duration<double>(now - waiting[i].started).count());
        waiting[i].done(result);
    }
}

void ChannelService::read(runtime::ShardId shard, std::string_view channel,
                          std::optional<Seq> after, std::size_t limit,
                          std::function<void(ReadResult)> done) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    if (after) {
        // Near the head: the shared, already encoded messages the hub delivered.
        auto recent = hub_.recent().read(channel, *after, limit, unix_millis());
        // The window applies history's retention (count and age) itself: what it holds is
        // retained, and a cursor below it is answered by storage, with the gap.
        // At its head, the window says "nothing newer" only when the log announces every
        // commit before acknowledging it (one node); with Redis another node may have
        // committed a message this node has not heard of yet: storage answers then.
        if (recent && (!recent->messages.empty() || log_.announces_before_completion())) {
            metrics_.shard(shard).reads_from_memory.inc();
            return done(ReadResult{std::move(recent->messages), recent->last_seq, std::nullopt});
        }
    }
    metrics_.shard(shard).reads_from_storage.inc();
    log_.read(
            channel, after, limit,
            [this, shard, done = std::move(done)](storage::ReadResult&& stored) mutable {
                // On a storage thread, or here: the messages are made (and their JSON
                // encoded) before the hop back to the shard.
                ReadResult result{{}, stored.last_seq, stored.gap, stored.failed};
                if (stored.failed) metrics_.shard(shard).read_failures.inc();
                result.messages.reserve(stored.messages.size());
                for (auto& message : stored.messages) {
                    result.messages.push_back(std::make_shared<const Message>(std::move(message)));
                }
                shards_[shard].post([done = std::move(done), result = std::move(result)]() mutable {
                    done(std::move(result));
                });
            });
}

void ChannelService::check_ready(runtime::ShardId shard, std::function<void(bool)> done) {
    log_.check_ready([this, shard, done = std::move(done)](bool ready) mutable {
        shards_[shard].post([done = std::move(done), ready] { done(ready); });
    });
}

void ChannelService::position(runtime::ShardId shard, std::string_view channel,
                              std::function<void(std::optional<storage::ChannelState>)> done) {
    log_.channel(channel, [this, shard, done = std::move(done)](
                                  std::optional<storage::ChannelState> state) mutable {
        shards_[shard].post([done = std::move(done), state = std::move(state)]() mutable {
            done(std::move(state));
        });
    });
}

void ChannelService::info(runtime::ShardId shard, std::string channel,
                          std::function<void(std::optional<ChannelInfo>)> done) {
    position(shard, channel,
             [this, shard, channel,
              done = std::move(done)](std::optional<storage::ChannelState> state) mutable {
                 if (!state) return done(std::nullopt);
                 count(shard, channel, std::vector<std::string>{channel},
                       [state = std::move(*state),
                        done = std::move(done)](std::optional<SubscriberCounts> counted) {
                           if (!counted) return done(std::nullopt);
                           const SubscriberCounts& counts = *counted;
                           auto it = counts.find(state.channel);
                           const bool empty = !state.has_history();
                           // An empty channel reads as all zeros; a trimmed one keeps its
                           // last_seq.
                           done(ChannelInfo{state.channel, empty ? 0 : state.first_seq,
                                            state.last_seq, it == counts.end() ? 0 : it->second});
                       });
             });
}

void ChannelService::list(runtime::ShardId shard, std::string prefix,
                          std::function<void(std::optional<std::vector<ChannelInfo>>)> done) {
    log_.channels(
            prefix, [this, shard, prefix, done = std::move(done)](
                            std::optional<std::vector<storage::ChannelState>> states) mutable {
                shards_[shard].post([this, shard, prefix = std::move(prefix),
                                     states = std::move(states), done = std::move(done)]() mutable {
                    if (!states) return done(std::nullopt);
                    std::vector<std::string> names;
                    names.reserve(states->size());
                    for (const storage::ChannelState& state : *states) {
                        names.push_back(state.channel);
                    }
                    count(shard, std::move(prefix), std::move(names),
                          [states = std::move(*states),
                           done = std::move(done)](std::optional<SubscriberCounts> counts) {
                              if (!counts) return done(std::nullopt);
                              done(merge_listing(states, *counts));
                          });
                });
            });
}

void ChannelService::count(runtime::ShardId shard, std::string prefix,
                           std::vector<std::string> channels,
                           std::function<void(std::optional<SubscriberCounts>)> done) {
    if (shared_counts_ == nullptr) {
        return hub_.count_subscribers(
                std::move(prefix), shard,
                [done = std::move(done)](SubscriberCounts counts) { done(std::move(counts)); });
    }
    shared_counts_->counts(std::move(channels), [this, shard, done = std::move(done)](
                                                        std::optional<SubscriberCounts> counts) {
        shards_[shard].post([done = std::move(done), counts = std::move(counts)]() mutable {
            done(std::move(counts));
        });
    });
}

}  // namespace herald::core
