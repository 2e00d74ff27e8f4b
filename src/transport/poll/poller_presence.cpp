#include "transport/poll/poller_presence.hpp"

namespace herald::transport {

void PollerPresence::polled(core::Presence& presence, runtime::ShardId shard, Bounds bounds,
                            const std::string& channel, std::string_view transport,
                            const std::optional<std::string>& user) {
    if (!client_) {
        client_ = std::make_unique<Client>(Client{presence.make_identity(shard, transport, user),
                                                  PollPresence(bounds.max_channels, bounds.ttl)});
    }
    client_->channels.polled(channel, PollPresence::Clock::now(), [&](const std::string& name) {
        return presence.join(shard, name, client_->identity);
    });
}

void PollerPresence::expire() {
    if (client_) client_->channels.expire(PollPresence::Clock::now());
}

}  // namespace herald::transport
