#include "runtime/shard_group.hpp"

namespace herald::runtime {

ShardGroup::ShardGroup(std::size_t count) {
    shards_.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
        shards_.push_back(std::make_unique<Shard>(ShardId(i)));
}

std::vector<ShardId> ShardGroup::ids() const {
    std::vector<ShardId> ids;
    ids.reserve(shards_.size());
    for (const auto& shard : shards_)
        ids.push_back(shard->id());
    return ids;
}

void ShardGroup::start() {
    for (auto& shard : shards_)
        shard->start();
}

void ShardGroup::stop() {
    for (auto& shard : shards_)
        shard->stop();
}

void ShardGroup::join() {
    for (auto& shard : shards_)
        shard->join();
}

}  // namespace herald::runtime
