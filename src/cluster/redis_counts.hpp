#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "cluster/node_sweep.hpp"
#include "core/shared_counts.hpp"
#include "runtime/shard_group.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_log_keys.hpp"

namespace herald::cluster {

struct RedisCountsOptions {
    std::string node_id;                             // cluster.node_id
    std::chrono::milliseconds vacated_delay{3'000};  // cluster.vacated_delay
    std::string key_prefix = "herald";
};

/// Subscriber counts and occupancy for the whole cluster, through Redis (API.md Cluster).
///
/// Each node keeps its own count per channel and writes it (coalesced: at most every
/// kFlushInterval, only what changed) to `<prefix>:{pN}:c:<channel>:subs`, a hash of node id ->
/// count in the channel's partition, plus the field `*` while the channel is announced
/// occupied; `<prefix>:{cluster}:subs:<node>` lists the channels a node has counts in. Channel
/// info and the channel list sum the hash.
///
/// Occupancy is decided in Redis, once for the cluster: the write that takes the channel's total
/// above 0 with no `*` sets it and tells its node, which sends channel.occupied; the write that
/// takes it to 0 queues the channel in `<prefix>:{cluster}:vacating`, due `vacated_delay` later.
/// Every node polls that queue; the one whose ZREM takes a due channel checks it, and if its
/// total is still 0, deletes the hash (and `*` with it) and sends channel.vacated. A subscriber
/// that moves between nodes within the delay sends neither, and a vacated channel is announced
/// even when the node that emptied it stopped or died meanwhile.
///
/// A node found gone is swept like presence (claim_node_set): its counts go, which may vacate
/// channels. A node's first connection sweeps what an earlier process of its id left; every
/// connection writes all its counts again; a node that stops sweeps itself.
/// Thread: runs on `shard`'s executor with a connection of its own; `changed`, `counts` and
/// `sweep` from any thread.
class RedisCounts final : public core::SharedCounts {
public:
    static constexpr std::chrono::milliseconds kFlushInterval{50};

    RedisCounts(runtime::ShardGroup& shards, runtime::ShardId shard, storage::redis::RedisUrl url,
                storage::redis::RedisClientOptions client, RedisCountsOptions options);
    ~RedisCounts() override;

    /// Hears the cluster's occupancy decisions this node made (true: occupied), on the shard.
    /// Set before `start`.
    void set_occupancy_listener(std::function<void(const std::string&, bool)> listener) {
        occupancy_listener_ = std::move(listener);
    }
    void start();
    /// Sweeps this node's counts, then disconnects; `done` runs on the shard. Call before the
    /// shards stop.
    void stop(std::function<void()> done);

    void changed(const std::string& channel, int delta) override;
    void counts(std::vector<std::string> channels,
                std::function<void(std::optional<core::SubscriberCounts>)> done) override;
    void sweep(std::vector<std::string> nodes) { sweeper_.sweep(std::move(nodes)); }

private:
    void schedule_flush();
    void flush();
    /// Writes `node`'s count of `channel` and acts on the occupancy it decides; then `done`.
    void write(const std::string& node, const std::string& channel, std::int64_t count,
               std::function<void()> done);
    /// The channel's total went to 0: whoever polls `vacating_key` after the delay checks it.
    void schedule_vacate(const std::string& channel);
    void schedule_poll();
    void poll_vacating();
    void vacate(const std::string& channel);
    std::string vacating_key() const;

    runtime::ShardGroup& shards_;
    runtime::ShardId shard_;
    RedisCountsOptions options_;
    storage::redis::LogKeys keys_;
    std::shared_ptr<storage::redis::RedisClient> redis_;
    NodeSweeper sweeper_;  // after redis_: it uses the connection
    std::function<void(const std::string&, bool)> occupancy_listener_;
    // On the shard: this node's count per channel, and those not yet written.
    std::unordered_map<std::string, std::int64_t> local_;
    std::set<std::string> dirty_;
    boost::asio::steady_timer flush_timer_;
    boost::asio::steady_timer poll_timer_;
    bool flush_armed_ = false;
    bool connected_once_ = false;
    bool stopped_ = false;
};

}  // namespace herald::cluster
