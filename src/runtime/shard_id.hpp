#pragma once

#include <cstddef>
#include <string>

namespace herald::runtime {

/// Which shard (worker thread) something belongs to. A type of its own rather than a bare index,
/// so a count, a position or a limit cannot be passed where a shard is meant; `value` is the
/// index into the ShardGroup.
struct ShardId {
    std::size_t value = 0;

    constexpr ShardId() = default;
    constexpr explicit ShardId(std::size_t index) : value(index) {}

    auto operator<=>(const ShardId&) const = default;
};

inline std::string to_string(ShardId shard) {
    return std::to_string(shard.value);
}

}  // namespace herald::runtime
