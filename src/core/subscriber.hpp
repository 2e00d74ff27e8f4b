#pragma once

#include "core/message.hpp"

namespace herald::core {

/// Anything that receives a channel's committed messages: a long poll, a stream, a WebSocket
/// subscription. Core knows subscribers, not sockets; a subscriber ends by unsubscribing.
/// Thread: called only on the shard that registered it.
class Subscriber {
public:
    virtual ~Subscriber() = default;
    /// A committed message of a subscribed channel, in seq order. Must not block.
    virtual void deliver(const MessagePtr& message) = 0;
};

}  // namespace herald::core
