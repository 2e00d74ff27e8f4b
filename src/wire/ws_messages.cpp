#include "wire/ws_messages.hpp"

#include <boost/json.hpp>

#include "core/channel_name.hpp"
#include "wire/json_text.hpp"
#include "wire/publish_body.hpp"

namespace herald::wire {

namespace json = boost::json;

namespace {

using Parsed = std::variant<WsClientFrame, WsFrameError>;

WsFrameError bad(std::string message, std::optional<std::string> ref) {
    return WsFrameError{ApiError::bad_request, std::move(message), std::move(ref)};
}

std::optional<WsClientFrame::Type> type_of(std::string_view type) {
    using Type = WsClientFrame::Type;
    if (type == "subscribe") return Type::subscribe;
    if (type == "unsubscribe") return Type::unsubscribe;
    if (type == "publish") return Type::publish;
    if (type == "presence") return Type::presence;
    if (type == "ping") return Type::ping;
    return std::nullopt;
}

/// The publish fields, checked by the same rules as an HTTP publish body.
Parsed read_publish(const json::object& object, std::string_view text, WsClientFrame frame) {
    auto parsed = read_publish_fields(object, text, frame.channel);
    if (auto* error = std::get_if<BodyError>(&parsed)) return bad(error->message, frame.ref);
    frame.publish = std::move(std::get<core::PublishRequest>(parsed));
    return frame;
}

/// `ref` as its decimal text, when it is an integer a client's JSON numbers hold exactly
/// (magnitude at most 2^53 - 1, API.md WebSocket): anything else could not be echoed as sent.
std::optional<std::string> ref_text(const json::value& ref) {
    constexpr std::int64_t kMaxRef = (std::int64_t{1} << 53) - 1;
    if (ref.is_int64() && ref.as_int64() >= -kMaxRef && ref.as_int64() <= kMaxRef) {
        return std::to_string(ref.as_int64());
    }
    if (ref.is_uint64() && ref.as_uint64() <= std::uint64_t{kMaxRef}) {
        return std::to_string(ref.as_uint64());
    }
    return std::nullopt;
}

void append_ref(std::string& out, const std::optional<std::string>& ref) {
    if (!ref) return;
    out += ",\"ref\":";
    out += *ref;
}

}  // namespace

std::variant<WsClientFrame, WsFrameError> parse_ws_frame(std::string_view text) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) return bad("a frame must be one JSON object", std::nullopt);
    const json::object& object = value.as_object();
    WsClientFrame frame;
    if (const json::value* ref = object.if_contains("ref")) {
        frame.ref = ref_text(*ref);
        if (!frame.ref) {
            return bad("ref must be an integer of magnitude at most 2^53 - 1", std::nullopt);
        }
    }
    const json::value* type = object.if_contains("type");
    if (type == nullptr || !type->is_string()) return bad("type is missing", frame.ref);
    auto known = type_of(type->as_string());
    if (!known) return bad("unknown type '" + std::string(type->as_string()) + "'", frame.ref);
    frame.type = *known;
    if (frame.type == WsClientFrame::Type::ping) return frame;

    const json::value* channel = object.if_contains("channel");
    if (channel == nullptr || !channel->is_string() ||
        !core::is_valid_channel(channel->as_string())) {
        return bad("channel must match ^[A-Za-z0-9._:@-]{1,200}$", frame.ref);
    }
    frame.channel = std::string(channel->as_string());
    if (frame.type == WsClientFrame::Type::publish) {
        return read_publish(object, text, std::move(frame));
    }
    if (frame.type != WsClientFrame::Type::subscribe) return frame;

    if (const json::value* after = object.if_contains("after")) {
        if (after->is_uint64()) {
            frame.after = after->as_uint64();
        } else if (after->is_int64() && after->as_int64() >= 0) {
            frame.after = static_cast<core::Seq>(after->as_int64());
        } else {
            return bad("after must be a non-negative integer", frame.ref);
        }
    }
    if (const json::value* presence = object.if_contains("presence")) {
        if (!presence->is_bool()) return bad("presence must be true or false", frame.ref);
        frame.presence = presence->as_bool();
    }
    return frame;
}

std::string ws_subscribed(const std::string& channel, core::Seq last_seq,
                          const std::optional<std::string>& ref) {
    std::string out = "{\"type\":\"subscribed\",\"channel\":";
    core::append_json_string(out, channel);
    out += ",\"last_seq\":";
    out += std::to_string(last_seq);
    append_ref(out, ref);
    out += '}';
    assert_json(out);
    return out;
}

std::string ws_unsubscribed(const std::string& channel, const std::optional<std::string>& ref) {
    std::string out = "{\"type\":\"unsubscribed\",\"channel\":";
    core::append_json_string(out, channel);
    append_ref(out, ref);
    out += '}';
    assert_json(out);
    return out;
}

std::string ws_ack(const core::PublishResult& result, const std::optional<std::string>& ref) {
    std::string out = "{\"type\":\"ack\",\"channel\":";
    core::append_json_string(out, result.channel);
    out += ",\"seq\":";
    out += std::to_string(result.seq);
    out += ",\"id\":";
    core::append_json_string(out, result.id);
    append_ref(out, ref);
    out += '}';
    assert_json(out);
    return out;
}

std::string ws_pong(const std::optional<std::string>& ref) {
    std::string out = "{\"type\":\"pong\"";
    append_ref(out, ref);
    out += '}';
    assert_json(out);
    return out;
}

std::string ws_error(const WsFrameError& error) {
    std::string out = "{\"type\":\"error\",\"code\":";
    core::append_json_string(out, code_of(error.code));
    out += ",\"message\":";
    core::append_json_string(out, error.message);
    append_ref(out, error.ref);
    out += '}';
    assert_json(out);
    return out;
}

std::string ws_message(const core::Message& message) {
    // The message JSON starts with '{': splice the type in front of its fields.
    std::string out = "{\"type\":\"message\",";
    out.append(message.json(), 1);
    assert_json(out);
    return out;
}

}  // namespace herald::wire
