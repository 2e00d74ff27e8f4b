#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/channel_subscribers.hpp"
#include "core/recent_messages.hpp"
#include "runtime/shard_group.hpp"
#include "storage/stored_message.hpp"

namespace herald::core {

using SubscriberCounts = std::map<std::string, std::size_t>;

/// Fan-out: takes each committed batch from the log and posts it, in commit order, to every
/// shard; each shard hands it to its own subscribers. A message is one shared object, never
/// copied per subscriber or per shard.
/// Thread: `on_committed` on the log's thread; `subscribers(i)` on shard i only.
class Hub {
public:
    explicit Hub(runtime::ShardGroup& shards, RecentMessages::Bounds recent = {});

    ChannelSubscribers& subscribers(runtime::ShardId shard) {
        HERALD_ASSERT_ON_SHARD(shards_, shard);
        return *locals_[shard.value];
    }
    /// For timers of shard-bound objects (long polls).
    boost::asio::io_context::executor_type executor(runtime::ShardId shard) {
        return shards_[shard].executor();
    }
    Subscription subscribe(runtime::ShardId shard, const std::string& channel,
                           Subscriber* subscriber);

    /// Tells `listener` of every shard's occupancy changes, on that shard. Set before the
    /// shards start; an empty one (after the shards stopped) removes it.
    void set_occupancy_listener(
            std::function<void(runtime::ShardId shard, const std::string& channel, bool occupied)>
                    listener);

    /// Tells `listener` of every subscriber added (+1) or removed (-1), on its shard. Set
    /// before the shards start; an empty one removes it.
    void set_count_listener(std::function<void(const std::string& channel, int delta)> listener);

    /// The log's commit listener: adds the batch to the recent messages, then posts it.
    void on_committed(std::vector<storage::StoredMessage>&& batch);

    /// The log's forget listener: these channels' recent messages may be stale (the log may
    /// have stopped hearing their commits); reads go to storage until the feed resumes.
    void on_forgotten(const std::vector<std::string>& channels);

    /// The newest messages of each channel, as delivered (reads near the head).
    const RecentMessages& recent() const { return recent_; }

    /// Subscribers per channel starting with `prefix`, summed over all shards by visiting each
    /// in turn (no shared state); `done` runs on shard `from`.
    void count_subscribers(std::string prefix, runtime::ShardId from,
                           std::function<void(SubscriberCounts)> done);

private:
    void count_on(runtime::ShardId shard, std::string prefix, runtime::ShardId from,
                  std::shared_ptr<SubscriberCounts> counts,
                  std::function<void(SubscriberCounts)> done);

    runtime::ShardGroup& shards_;
    std::vector<std::unique_ptr<ChannelSubscribers>> locals_;
    RecentMessages recent_;
};

}  // namespace herald::core
