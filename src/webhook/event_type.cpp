#include "webhook/event_type.hpp"

namespace herald::webhook {

std::string_view name_of(EventType type) {
    switch (type) {
        case EventType::message_published: return "message.published";
        case EventType::channel_occupied: return "channel.occupied";
        case EventType::channel_vacated: return "channel.vacated";
        case EventType::presence_joined: return "presence.joined";
        case EventType::presence_left: return "presence.left";
    }
    return "unknown";  // only for a value outside the enum
}

std::optional<EventType> parse_event_type(std::string_view name) {
    for (EventType type : kEventTypes) {
        if (name_of(type) == name) return type;
    }
    return std::nullopt;
}

std::string_view event_type_list() {
    return "message.published, channel.occupied, channel.vacated, presence.joined, presence.left";
}

}  // namespace herald::webhook
