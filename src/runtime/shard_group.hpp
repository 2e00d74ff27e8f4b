#pragma once

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
    Shard& operator[](std::size_t index) { return *shards_[index]; }

    void start();
    void stop();
    void join();

private:
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace herald::runtime
