#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/channel_service.hpp"
#include "core/message.hpp"
#include "wire/api_error.hpp"

namespace herald::wire {

/// One client-to-server WebSocket message of API.md, checked. `ref` is kept as its decimal text
/// (an integer of magnitude at most 2^53 - 1) so replies echo it exactly.
struct WsClientFrame {
    enum class Type { subscribe, unsubscribe, publish, presence, ping };
    Type type = Type::ping;
    std::string channel;
    std::optional<core::Seq> after;  // subscribe
    bool presence = false;           // subscribe: wants join/leave frames
    core::PublishRequest publish;    // publish
    std::optional<std::string> ref;
};

/// A frame that could not be accepted: the error frame to answer with.
struct WsFrameError {
    ApiError code = ApiError::bad_request;
    std::string message;
    std::optional<std::string> ref;
};

std::variant<WsClientFrame, WsFrameError> parse_ws_frame(std::string_view text);

// Server-to-client JSON texts (not yet framed).
std::string ws_subscribed(const std::string& channel, core::Seq last_seq,
                          const std::optional<std::string>& ref);
std::string ws_unsubscribed(const std::string& channel, const std::optional<std::string>& ref);
std::string ws_ack(const core::PublishResult& result, const std::optional<std::string>& ref);
std::string ws_pong(const std::optional<std::string>& ref);
std::string ws_error(const WsFrameError& error);
/// {"type":"message",...the message's fields}: built from its encoded-once JSON.
std::string ws_message(const core::Message& message);

}  // namespace herald::wire
