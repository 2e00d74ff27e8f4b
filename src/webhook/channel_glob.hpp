#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "webhook/invalid_input.hpp"

namespace herald::webhook {

/// A channel pattern of an endpoint (API.md: "`room:*` style, `*` matches any suffix").
///
/// The grammar, chosen to be exactly that and nothing more:
///   - a channel name (`room:42`): matches that channel only;
///   - a channel-name prefix and one `*` at the very end (`room:*`): every channel that starts
///     with the prefix, including the prefix itself followed by nothing (`room:`), since `*`
///     matches the empty suffix too;
///   - `*` alone: every channel.
/// A `*` anywhere else (`*:42`, `a*b`, `room:**`) is refused rather than given a meaning,
/// so that adding infix or segment-wise globs later changes no existing pattern's meaning.
/// The prefix uses the channel alphabet `[A-Za-z0-9._:@-]`, so `?`, `[` and spaces are refused.
/// Immutable; any thread.
class ChannelGlob {
public:
    static std::variant<ChannelGlob, InvalidInput> parse(std::string_view pattern);

    bool matches(std::string_view channel) const;

    /// The pattern as given, for listing an endpoint.
    std::string pattern() const { return wildcard_ ? prefix_ + "*" : prefix_; }

    friend bool operator==(const ChannelGlob&, const ChannelGlob&) = default;

private:
    ChannelGlob(std::string prefix, bool wildcard)
        : prefix_(std::move(prefix)), wildcard_(wildcard) {}

    std::string prefix_;  // everything before the `*`, or the whole channel name
    bool wildcard_ = false;
};

}  // namespace herald::webhook
