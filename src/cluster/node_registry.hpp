#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "core/cluster_directory.hpp"
#include "runtime/shard_group.hpp"
#include "storage/redis/redis_client.hpp"

namespace herald::cluster {

struct NodeRegistryOptions {
    std::string node_id;                        // cluster.node_id
    std::string address;                        // host:port this node serves on
    std::chrono::milliseconds heartbeat{2000};  // cluster.heartbeat
    std::string key_prefix = "herald";
};

/// This node's entry in the cluster's directory in Redis, refreshed every heartbeat, and the
/// directory itself for GET /v1/cluster. Every node writes its own entry (id, address, open
/// connections, heartbeat time) and removes entries whose heartbeat is older than three
/// periods: a node that dies leaves the directory within 3 x cluster.heartbeat, whoever notices.
/// A node that stops removes its own entry at once.
///
/// Keys: `<prefix>:{cluster}:nodes` (hash: node id -> entry JSON) and `<prefix>:{cluster}:beats`
/// (sorted set: node id by heartbeat time); one hash tag, so a Redis Cluster keeps them on one
/// slot and one transaction updates both.
/// Thread: runs on `shard`'s executor (its Redis connection too); `nodes` from any shard.
class NodeRegistry final : public core::ClusterDirectory {
public:
    /// `connections`: this node's open connections now (summed over shards; any thread).
    NodeRegistry(runtime::ShardGroup& shards, runtime::ShardId shard, storage::redis::RedisUrl url,
                 storage::redis::RedisClientOptions client, NodeRegistryOptions options,
                 std::function<std::int64_t()> connections);
    ~NodeRegistry() override;

    /// Hears the ids of nodes this node removed for missing 3 heartbeats (several nodes may
    /// hear the same one), on the shard. Set before `start`.
    void set_gone_listener(std::function<void(std::vector<std::string>)> listener) {
        gone_listener_ = std::move(listener);
    }
    /// Connects and beats; from the main thread before the shards run, or on the shard.
    void start();
    /// Removes this node's entry (best effort, bounded by the Redis timeout), then disconnects;
    /// `done` runs on the shard. Call before the shards stop.
    void stop(std::function<void()> done);

    void nodes(runtime::ShardId shard,
               std::function<void(std::optional<std::vector<core::NodeInfo>>)> done) override;

private:
    void beat();
    void schedule();
    std::string entry_json() const;

    runtime::ShardGroup& shards_;
    runtime::ShardId shard_;
    NodeRegistryOptions options_;
    std::function<std::int64_t()> connections_;
    std::string nodes_key_;
    std::string beats_key_;
    std::shared_ptr<storage::redis::RedisClient> redis_;
    std::function<void(std::vector<std::string>)> gone_listener_;
    boost::asio::steady_timer timer_;
    bool stopped_ = false;
};

}  // namespace herald::cluster
