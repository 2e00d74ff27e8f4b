#pragma once

#include <chrono>
#include <cstddef>

#include "util/sizes.hpp"

namespace herald::transport {

/// Bounds of a WebSocket connection; each default says why.
struct WsSettings {
    std::size_t max_frame_bytes = kMiB;   // API.md limits.ws_max_frame_bytes: then 1009
    std::size_t max_subscriptions = 100;  // API.md limits.max_subscriptions: then rate_limited
    // API.md limits.max_message_bytes: a bigger publish frame gets a too_large error frame.
    std::size_t max_message_bytes = 64 * kKiB;
    std::chrono::milliseconds ping_interval{25'000};  // API.md: two missed pongs drop a peer
    bool deflate = false;          // API.md websocket.deflate: costs CPU per message, saves bytes
    std::size_t publish_rate = 0;  // API.md limits.publish_rate: then rate_limited frames
    std::chrono::seconds token_leeway{30};  // auth.leeway: a connection ends at exp + leeway
};

}  // namespace herald::transport
