#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/presence.hpp"

namespace herald::wire {

/// {"channel":C,"clients":[{"client","user","transport","since"},...]}: GET .../presence.
std::string presence_reply(const std::string& channel,
                           const std::vector<core::PresenceEntry>& clients);

/// {"type":"presence","channel":C,"clients":[{"client","user"},...],"ref":R}
std::string ws_presence(const std::string& channel, const std::vector<core::PresenceEntry>& clients,
                        const std::optional<std::string>& ref);

/// {"type":"join"|"leave","channel":C,"client":ID,"user":U}
std::string ws_presence_change(const core::PresenceChange& change);

}  // namespace herald::wire
