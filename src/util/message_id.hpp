#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace herald {

/// Makes message ids: "m_" and a ULID (48-bit millisecond time, 80 random bits, Crockford
/// base32), so ids sort by creation time and never collide in practice.
/// Thread: not thread-safe; each shard owns one.
class MessageIdGenerator {
public:
    MessageIdGenerator();
    std::string next(std::int64_t unix_millis);

private:
    std::mt19937_64 random_;
};

}  // namespace herald
