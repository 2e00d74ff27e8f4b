#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace herald::webhook {

/// What a webhook announces (API.md, Webhooks). Each enumerator is its wire name with '.'
/// spelled '_': `message_published` is "message.published".
enum class EventType {
    message_published,  // data: the message object, as core::Message::json() has it
    channel_occupied,   // the first subscriber of any transport arrived
    channel_vacated,    // the last one left
    presence_joined,
    presence_left,
};

inline constexpr std::array kEventTypes = {EventType::message_published,
                                           EventType::channel_occupied, EventType::channel_vacated,
                                           EventType::presence_joined, EventType::presence_left};

/// "message.published", ...: the `type` of the delivery body and of `events` in the config.
std::string_view name_of(EventType type);

/// Nothing for a name that is not exactly one of the five (case matters, as in API.md).
std::optional<EventType> parse_event_type(std::string_view name);

/// "message.published, channel.occupied, ...": for error messages that list the choices.
std::string_view event_type_list();

}  // namespace herald::webhook
