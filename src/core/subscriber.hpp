#pragma once

#include "core/message.hpp"

namespace herald::core {

enum class CloseReason { normal, slow_consumer, shutdown };

/// Anything that receives a channel's committed messages: a long poll, later a stream or a
/// WebSocket. Core knows subscribers, not sockets.
/// Thread: called only on the shard that registered it.
class Subscriber {
public:
    virtual ~Subscriber() = default;
    /// A committed message of a subscribed channel, in seq order. Must not block.
    virtual void deliver(const MessagePtr& message) = 0;
    /// The server is ending this subscription (shutdown, slow consumer).
    virtual void close(CloseReason reason) = 0;
};

}  // namespace herald::core
