#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/hub.hpp"

namespace herald::core {

/// Subscriber counts shared by the nodes of a cluster (Redis): told of every change of this
/// node's counts, it answers cluster-wide counts for channel info and the channel list, and
/// decides cluster-wide occupancy (channel.occupied / channel.vacated).
/// Thread: `changed` on any shard; `counts` from any thread, `done` may run on any thread.
class SharedCounts {
public:
    virtual ~SharedCounts() = default;
    /// This node's subscribers of `channel` went up or down by `delta`.
    virtual void changed(const std::string& channel, int delta) = 0;
    /// The subscribers of each of `channels` on every node (absent: none); none when the store
    /// could not tell.
    virtual void counts(std::vector<std::string> channels,
                        std::function<void(std::optional<SubscriberCounts>)> done) = 0;
};

}  // namespace herald::core
