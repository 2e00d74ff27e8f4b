#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/presence.hpp"

namespace herald::core {

/// Presence shared by the nodes of a cluster (Redis): told of every join and leave of this
/// node's clients, it makes them visible to the other nodes' queries and watchers, and answers
/// the cluster-wide member list. Remote joins and leaves come back through
/// `Presence::on_remote`.
/// Thread: any; it only hands work on, and `done` may run on any thread.
class SharedPresence {
public:
    virtual ~SharedPresence() = default;
    virtual void joined(const std::string& channel, const PresenceEntry& entry) = 0;
    virtual void left(const std::string& channel, const PresenceEntry& entry) = 0;
    /// Everyone present in `channel` on every node; none when the store could not tell.
    virtual void members(const std::string& channel,
                         std::function<void(std::optional<std::vector<PresenceEntry>>)> done) = 0;
};

}  // namespace herald::core
