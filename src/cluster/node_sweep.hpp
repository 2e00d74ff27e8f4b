#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/redis/redis_client.hpp"

namespace herald::cluster {

/// Takes the set at `key` (a node's channels, in the `{cluster}` slot) and deletes it in one
/// script: of several nodes sweeping the same gone node, one gets its channels, the others none.
/// `done` gets them (none as well when Redis failed: the next sweep tries again).
void claim_node_set(storage::redis::RedisClient& redis, std::string key,
                    std::function<void(std::vector<std::string>)> done);

/// Claims the set at `key` (claim_node_set), then runs `each(channel, next)` for every member;
/// once every one called its `next`, or at once when there was none, `done` runs.
void sweep_node_set(storage::redis::RedisClient& redis, std::string key,
                    std::function<void(const std::string&, std::function<void()>)> each,
                    std::function<void()> done);

}  // namespace herald::cluster
