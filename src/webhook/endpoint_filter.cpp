#include "webhook/endpoint_filter.hpp"

#include <algorithm>

namespace herald::webhook {

std::variant<EndpointFilter, InvalidInput> EndpointFilter::parse(
        std::span<const std::string> events, std::span<const std::string> channels) {
    if (events.empty()) {
        return InvalidInput{"events must name at least one of: " + std::string(event_type_list())};
    }
    std::uint32_t mask = 0;
    for (const std::string& name : events) {
        const auto type = parse_event_type(name);
        if (!type) {
            return InvalidInput{"unknown event type \"" + name.substr(0, 64) +
                                "\"; expected one of: " + std::string(event_type_list())};
        }
        mask |= bit(*type);
    }
    std::vector<ChannelGlob> globs;
    globs.reserve(channels.size());
    for (const std::string& pattern : channels) {
        auto glob = ChannelGlob::parse(pattern);
        if (auto* error = std::get_if<InvalidInput>(&glob)) return std::move(*error);
        globs.push_back(std::get<ChannelGlob>(std::move(glob)));
    }
    return EndpointFilter(mask, std::move(globs));
}

bool EndpointFilter::matches(EventType type, std::string_view channel) const {
    if (!wants(type)) return false;
    if (channels_.empty()) return true;
    return std::any_of(channels_.begin(), channels_.end(),
                       [channel](const ChannelGlob& glob) { return glob.matches(channel); });
}

std::vector<EventType> EndpointFilter::event_types() const {
    std::vector<EventType> types;
    for (EventType type : kEventTypes) {
        if (wants(type)) types.push_back(type);
    }
    return types;
}

}  // namespace herald::webhook
