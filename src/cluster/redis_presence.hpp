#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/node_sweep.hpp"
#include "core/presence.hpp"
#include "core/shared_presence.hpp"
#include "runtime/shard_group.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_log_keys.hpp"

namespace herald::cluster {

struct RedisPresenceOptions {
    std::string node_id;  // cluster.node_id: whose members these are
    std::string key_prefix = "herald";
};

/// Presence shared by the nodes through Redis (API.md Cluster): a presence query on any node
/// lists every node's clients, and every node's watchers hear every join and leave.
///
/// Keys: `<prefix>:{pN}:c:<channel>:presence` (hash: client id -> its entry, netstrings of
/// node, user flag, user, transport, since), in the channel's partition like its other keys;
/// `<prefix>:{cluster}:presence:<node>` (set: the channels where the node has had members).
/// A join or leave is written, then published on the channel's partition fan-out as a notice
/// (`p`, then netstrings of kind, node, channel, client, user flag, user): the nodes that follow
/// the channel (their watchers subscribe to it) get it from their log (`on_notice`).
///
/// While Redis is away joins and leaves are not shared (logged); after every reconnection the
/// node writes its members again, and at its first it sweeps what an earlier process of the same
/// node id left. A node that dies leaves its members behind: whoever finds it gone (NodeRegistry,
/// within 3 heartbeats) sweeps them. The sweep claims the node's channel set (read and delete in
/// one script, so one node sweeps), removes its members and publishes a leave for each; the
/// sweeping node's `swept` listener hears each (webhooks send `presence.left`). A node that stops
/// sweeps itself. Thread: runs on `shard`'s executor with a connection of its own; the
/// SharedPresence methods, `on_notice` and `sweep` from any thread.
class RedisPresence final : public core::SharedPresence {
public:
    RedisPresence(runtime::ShardGroup& shards, runtime::ShardId shard, core::Presence& presence,
                  storage::redis::RedisUrl url, storage::redis::RedisClientOptions client,
                  RedisPresenceOptions options);
    ~RedisPresence() override;

    /// Hears each member a sweep removed, as a leave, on the shard. Set before `start`.
    void set_swept_listener(std::function<void(const core::PresenceChange&)> listener) {
        swept_listener_ = std::move(listener);
    }
    void start();
    /// Sweeps this node's members (those whose leave did not get through), then disconnects;
    /// `done` runs on the shard. Call before the shards stop.
    void stop(std::function<void()> done) { sweeper_.stop(std::move(done)); }

    void joined(const std::string& channel, const core::PresenceEntry& entry) override;
    void left(const std::string& channel, const core::PresenceEntry& entry) override;
    void members(
            const std::string& channel,
            std::function<void(std::optional<std::vector<core::PresenceEntry>>)> done) override;

    /// A notice from a partition's fan-out: another node's join or leave reaches this node's
    /// watchers. Ignores this node's own (its watchers heard them already) and other notices.
    void on_notice(std::string_view payload);
    /// Removes the members of nodes found gone, publishing a leave for each.
    void sweep(std::vector<std::string> nodes) { sweeper_.sweep(std::move(nodes)); }

private:
    void rewrite_members();
    /// Makes `node`'s members of `channel` in Redis `entries`, publishing the leaves and joins
    /// that makes (and telling the swept listener of the leaves when `announce_leaves`); `done`
    /// (if any) then runs.
    void reconcile(const std::string& node, const std::string& channel,
                   const std::vector<core::PresenceEntry>& entries, bool announce_leaves,
                   std::shared_ptr<std::function<void()>> done);
    void publish(core::PresenceChange::Kind kind, const std::string& node,
                 const std::string& channel, const std::string& client,
                 const std::optional<std::string>& user);

    runtime::ShardGroup& shards_;
    runtime::ShardId shard_;
    core::Presence& presence_;
    RedisPresenceOptions options_;
    storage::redis::LogKeys keys_;
    std::shared_ptr<storage::redis::RedisClient> redis_;
    NodeSweeper sweeper_;  // after redis_: it uses the connection
    std::function<void(const core::PresenceChange&)> swept_listener_;
    bool connected_once_ = false;
};

}  // namespace herald::cluster
