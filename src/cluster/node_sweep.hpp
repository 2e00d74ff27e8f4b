#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "runtime/shard_group.hpp"
#include "storage/redis/redis_client.hpp"

namespace herald::cluster {

/// Takes the set at `key` (a node's channels, in the `{cluster}` slot) and deletes it in one
/// script: of several nodes sweeping the same gone node, one gets its channels, the others none.
/// `done` gets them (none as well when Redis failed: the next sweep tries again).
void claim_node_set(storage::redis::RedisClient& redis, std::string key,
                    std::function<void(std::vector<std::string>)> done);

/// What a node keeps in Redis per channel (its presence members, its subscriber counts) goes
/// when the node does: `<set_prefix><node>` lists the channels where it has some, and `each`
/// removes the node's part of one channel. A sweep claims the set (claim_node_set), so one node
/// sweeps a gone node; a node that stops sweeps itself.
/// Thread: runs on `shard`, where `redis` lives; `sweep` and `stop` from any thread.
class NodeSweeper {
public:
    /// Removes `node`'s part of `channel`, then calls `next`.
    using Each = std::function<void(const std::string& node, const std::string& channel,
                                    std::function<void()> next)>;

    NodeSweeper(runtime::ShardGroup& shards, runtime::ShardId shard,
                storage::redis::RedisClient& redis, std::string set_prefix, std::string self,
                Each each)
        : shards_(shards),
          shard_(shard),
          redis_(redis),
          set_prefix_(std::move(set_prefix)),
          self_(std::move(self)),
          each_(std::move(each)) {}

    /// The set of `node`'s channels.
    std::string set_key(const std::string& node) const { return set_prefix_ + node; }
    /// This node has something in `channel` now: added to its set (SADD) once per connection
    /// rather than at every join or count.
    void note(const std::string& channel);
    /// A new connection: Redis may have lost the set, so every channel is added again.
    void renote() { noted_.clear(); }
    /// Sweeps each of `nodes` (found gone) but this one.
    void sweep(std::vector<std::string> nodes);
    /// On the shard: sweeps `node`, then runs `done` (at once when it has nothing).
    void sweep_node(const std::string& node, std::function<void()> done);
    /// This node stops: sweeps itself when Redis is up, disconnects, then runs `done` on the
    /// shard.
    void stop(std::function<void()> done);

private:
    runtime::ShardGroup& shards_;
    runtime::ShardId shard_;
    storage::redis::RedisClient& redis_;
    std::string set_prefix_;
    std::string self_;
    Each each_;
    std::unordered_set<std::string> noted_;  // in this node's set, as far as this connection knows
};

}  // namespace herald::cluster
