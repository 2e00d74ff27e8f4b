#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/shard_id.hpp"

namespace herald::core {

/// One node of the cluster as GET /v1/cluster shows it (API.md Cluster).
struct NodeInfo {
    std::string node;     // cluster.node_id
    std::string address;  // host:port it serves on
    std::int64_t connections = 0;
    std::int64_t heartbeat = 0;  // ms since the Unix epoch, of its last heartbeat
};

/// The nodes serving now: on one node, itself; in cluster mode, every node whose heartbeat is
/// recent (a node that stops or dies leaves within 3 heartbeats).
/// Thread: `nodes` from any shard; `done` runs on that shard.
class ClusterDirectory {
public:
    virtual ~ClusterDirectory() = default;
    /// Every live node, by id; none when the directory could not be read (Redis down: 503).
    virtual void nodes(runtime::ShardId shard,
                       std::function<void(std::optional<std::vector<NodeInfo>>)> done) = 0;
};

}  // namespace herald::core
