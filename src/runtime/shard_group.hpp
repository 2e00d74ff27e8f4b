#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <vector>

#include "runtime/shard.hpp"

namespace herald::runtime {

/// The server's shards: thread per core, each with its own io_context.
/// Thread: built, started and stopped by the main thread.
class ShardGroup {
public:
    explicit ShardGroup(std::size_t count);

    std::size_t size() const { return shards_.size(); }
    /// Every shard's id, in order: for the loops that visit each shard.
    std::vector<ShardId> ids() const;
    Shard& operator[](ShardId id) { return *shards_[id.value]; }

    void start();
    void stop();
    void join();

private:
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace herald::runtime

/// At the entry of a method that touches shard `id`'s own state: in debug builds, stops at once
/// when called from another thread (a missing post), instead of racing silently.
#define HERALD_ASSERT_ON_SHARD(group, id) assert((group)[(id)].owns_caller())
