#include "webhook/delivery.hpp"

#include <chrono>
#include <cstdio>

#include "core/message.hpp"
#include "core/presence.hpp"
#include "util/message_id.hpp"
#include "webhook/signature.hpp"

namespace herald::webhook {

std::string iso8601_utc_millis(std::int64_t unix_millis) {
    using namespace std::chrono;
    const sys_time<milliseconds> time{milliseconds(unix_millis)};
    const auto day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    char text[40];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()),
                  static_cast<int>(clock.subseconds().count()));
    return text;
}

std::string delivery_body(EventType type, std::int64_t event_millis, std::string_view data_json) {
    std::string body;
    body.reserve(64 + data_json.size());
    body += "{\"type\":";
    core::append_json_string(body, name_of(type));
    body += ",\"timestamp\":";
    core::append_json_string(body, iso8601_utc_millis(event_millis));
    body += ",\"data\":";
    body += data_json;
    body += '}';
    return body;
}

std::string message_published_body(const core::Message& message) {
    return delivery_body(EventType::message_published, message.time(), message.json());
}

std::string channel_event_data(std::string_view channel) {
    std::string data = "{\"channel\":";
    core::append_json_string(data, channel);
    data += '}';
    return data;
}

std::string presence_event_data(const core::PresenceChange& change) {
    std::string data = "{\"channel\":";
    core::append_json_string(data, change.channel);
    data += ",\"client\":";
    core::append_json_string(data, change.client);
    data += ",\"user\":";
    if (change.user) {
        core::append_json_string(data, *change.user);
    } else {
        data += "null";
    }
    data += '}';
    return data;
}

std::string new_webhook_id(MessageIdGenerator& ids, std::int64_t unix_millis) {
    std::string id = ids.next(unix_millis);  // "m_" + ULID
    return "evt_" + id.substr(2);
}

bool is_valid_webhook_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::array<std::pair<std::string_view, std::string_view>, 4> DeliveryHeaders::fields() const {
    return {{{kIdHeader, id},
             {kTimestampHeader, timestamp},
             {kSignatureHeader, signature},
             {"content-type", kContentType}}};
}

DeliveryHeaders delivery_headers(const Secret& secret, std::string_view webhook_id,
                                 std::int64_t unix_seconds, std::string_view body) {
    return DeliveryHeaders{std::string(webhook_id), std::to_string(unix_seconds),
                           sign(secret, webhook_id, unix_seconds, body)};
}

}  // namespace herald::webhook
