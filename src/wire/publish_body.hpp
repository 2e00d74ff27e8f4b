#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>

#include "core/channel_service.hpp"

namespace herald::wire {

/// Why a publish body was refused: a message for the `bad_request` error.
struct BodyError {
    std::string message;
};

/// Parses `{"data": <any JSON>, "event"?: string, "id"?: string}` into a request for `channel`.
std::variant<core::PublishRequest, BodyError> parse_publish_body(std::string_view body,
                                                                 std::string channel);

/// The same fields, read from `object`, already parsed from `text` (a WebSocket publish frame
/// carries them beside others). `data` is taken from `text`: the publisher's own JSON.
std::variant<core::PublishRequest, BodyError> read_publish_fields(const boost::json::object& object,
                                                                  std::string_view text,
                                                                  std::string channel);

}  // namespace herald::wire
