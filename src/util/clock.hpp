#pragma once

#include <chrono>
#include <cstdint>

namespace herald {

/// Milliseconds since the Unix epoch: the `time` of a message.
inline std::int64_t unix_millis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace herald
