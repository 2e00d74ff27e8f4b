#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "webhook/channel_glob.hpp"
#include "webhook/event_type.hpp"
#include "webhook/invalid_input.hpp"

namespace herald::webhook {

/// Which events an endpoint receives: the event types it asked for, on the channels its globs
/// match. Built once from the config or the admin API, then only read: any thread.
class EndpointFilter {
public:
    /// `events`: at least one name of event_type.hpp (duplicates are harmless).
    /// `channels`: globs (channel_glob.hpp); none at all means every channel, as when the
    /// `channels` key is left out. The first bad entry is the error.
    static std::variant<EndpointFilter, InvalidInput> parse(std::span<const std::string> events,
                                                            std::span<const std::string> channels);

    /// Whether an event of `type` in `channel` goes to this endpoint.
    bool matches(EventType type, std::string_view channel) const;

    /// Cheaper than matches() when only the type is known (e.g. to skip building event data
    /// nobody wants).
    bool wants(EventType type) const { return (events_ & bit(type)) != 0; }

    /// For listing the endpoint: types in kEventTypes order, globs as given.
    std::vector<EventType> event_types() const;
    const std::vector<ChannelGlob>& channels() const { return channels_; }

private:
    EndpointFilter(std::uint32_t events, std::vector<ChannelGlob> channels)
        : events_(events), channels_(std::move(channels)) {}

    static std::uint32_t bit(EventType type) { return 1u << static_cast<unsigned>(type); }

    std::uint32_t events_ = 0;           // one bit per EventType
    std::vector<ChannelGlob> channels_;  // empty: every channel
};

}  // namespace herald::webhook
