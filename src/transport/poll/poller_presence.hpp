#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/presence.hpp"
#include "runtime/shard_id.hpp"
#include "transport/poll/poll_presence.hpp"

namespace herald::transport {

/// A polling connection's presence across its keep-alive requests (API.md Presence: a poller is
/// one client, present from its first poll that names `wait`). Nothing is made until that poll,
/// so an idle connection pays one pointer.
/// Thread: its connection's shard only.
class PollerPresence {
public:
    /// `ttl`: a channel not polled for that long is left (the poller said nothing when it
    /// stopped); `max_channels`: the most it is present in at once.
    struct Bounds {
        std::size_t max_channels = 0;
        PollPresence::Clock::duration ttl{};
    };

    /// The connection polled `channel`: joins it, or keeps it present. `transport` ("poll" or
    /// "longpoll") labels the client from its first poll on; `user` is the token's sub.
    void polled(core::Presence& presence, runtime::ShardId shard, Bounds bounds,
                const std::string& channel, std::string_view transport,
                const std::optional<std::string>& user);

    /// Leaves the channels not polled lately.
    void expire();

    /// Leaves every channel (the connection ends), announcing each leave now.
    void leave_all() { client_.reset(); }

private:
    struct Client {
        core::ClientIdentity identity;
        PollPresence channels;  // declared after: leaves before the identity goes
    };
    std::unique_ptr<Client> client_;
};

}  // namespace herald::transport
