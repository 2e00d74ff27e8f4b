#pragma once

#include <chrono>
#include <cstddef>

#include "util/sizes.hpp"

namespace herald::transport {

/// The two streaming responses of API.md: Server-Sent Events and NDJSON lines.
enum class StreamFormat { sse, ndjson };

/// Bounds and timings of streaming responses; each default says why.
struct StreamSettings {
    std::chrono::milliseconds retry{2'000};       // API.md: the SSE retry: field
    std::chrono::milliseconds keepalive{15'000};  // API.md; under common proxy idle cuts
    /// A stream that wrote less than this ago waits for the shard's next coalesced flush: under
    /// load a write carries several messages (docs/BENCHMARKS.md measures the trade).
    std::chrono::microseconds coalesce_window{5'000};
};

}  // namespace herald::transport
