#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "webhook/event_type.hpp"
#include "webhook/secret.hpp"

// Declared, not included: core/presence.hpp pulls in the shards and Asio, which users of the body
// and header builders need not compile.
namespace herald {
class MessageIdGenerator;
}
namespace herald::core {
class Message;
struct PresenceChange;
}  // namespace herald::core

namespace herald::webhook {

// Standard Webhooks header names, lower case as the spec writes them.
inline constexpr std::string_view kIdHeader = "webhook-id";
inline constexpr std::string_view kTimestampHeader = "webhook-timestamp";
inline constexpr std::string_view kSignatureHeader = "webhook-signature";
inline constexpr std::string_view kContentType = "application/json";

/// "2025-11-22T21:40:00.123Z": ISO-8601, UTC, always three fraction digits.
std::string iso8601_utc_millis(std::int64_t unix_millis);

/// The delivery body `{"type":T,"timestamp":ISO-8601,"data":D}`. `data_json` must be one
/// complete JSON value; it is spliced in as is, not parsed and re-encoded, so a message's data
/// reaches the receiver byte for byte. `event_millis` is when the event happened (for
/// message.published the message's `time`), so the body, built once, is the same on every
/// retry and for every endpoint; only the headers change per attempt.
std::string delivery_body(EventType type, std::int64_t event_millis, std::string_view data_json);

/// message.published: the body around core::Message::json(), timestamped with its `time`.
std::string message_published_body(const core::Message& message);

/// `data` of channel.occupied and channel.vacated: {"channel":C}
std::string channel_event_data(std::string_view channel);

/// `data` of presence.joined and presence.left: {"channel":C,"client":ID,"user":U|null}, the
/// fields of a WebSocket join/leave frame.
std::string presence_event_data(const core::PresenceChange& change);

/// A new `webhook-id`: "evt_" + a ULID (time-ordered, 80 random bits). Made once per event
/// and stored with it, so every retry to every endpoint carries the same id.
std::string new_webhook_id(MessageIdGenerator& ids, std::int64_t unix_millis);

/// 1..128 of [A-Za-z0-9_-]. The spec asks that ids contain no '.', the separator of the signed
/// content; a config or admin path that ever accepts ids from outside must check this.
bool is_valid_webhook_id(std::string_view id);

/// The headers of one attempt. Each attempt gets a fresh timestamp and signature (receivers
/// refuse timestamps older than a few minutes); the id stays.
struct DeliveryHeaders {
    std::string id;
    std::string timestamp;  // Unix seconds, decimal
    std::string signature;  // "v1,<base64>"

    /// (name, value) pairs to set on the request, content-type included. Views into *this.
    std::array<std::pair<std::string_view, std::string_view>, 4> fields() const;
};

/// Signs `body` for one attempt at `unix_seconds`.
DeliveryHeaders delivery_headers(const Secret& secret, std::string_view webhook_id,
                                 std::int64_t unix_seconds, std::string_view body);

}  // namespace herald::webhook
