#pragma once

#include <functional>
#include <utility>

#include "core/cluster_directory.hpp"
#include "util/clock.hpp"

namespace herald::core {

/// The directory of a server that runs alone (SQLite or memory storage): itself, alive now.
/// Thread: any shard; `done` runs before `nodes` returns.
class SingleNodeDirectory final : public ClusterDirectory {
public:
    /// `connections`: this node's open connections now (any thread).
    SingleNodeDirectory(NodeInfo self, std::function<std::int64_t()> connections)
        : self_(std::move(self)), connections_(std::move(connections)) {}

    void nodes(runtime::ShardId,
               std::function<void(std::optional<std::vector<NodeInfo>>)> done) override {
        NodeInfo now = self_;
        now.connections = connections_();
        now.heartbeat = unix_millis();
        done(std::vector<NodeInfo>{std::move(now)});
    }

private:
    NodeInfo self_;
    std::function<std::int64_t()> connections_;
};

}  // namespace herald::core
