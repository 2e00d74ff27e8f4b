#include "wire/publish_body.hpp"

#include <boost/json.hpp>

#include "core/channel_name.hpp"
#include "wire/json_text.hpp"

namespace herald::wire {

namespace json = boost::json;

std::variant<core::PublishRequest, BodyError> parse_publish_body(std::string_view body,
                                                                 std::string channel) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec) return BodyError{"body is not valid JSON: " + ec.message()};
    const json::object* object = parsed.if_object();
    if (object == nullptr) return BodyError{"body must be a JSON object"};
    return read_publish_fields(*object, body, std::move(channel));
}

std::variant<core::PublishRequest, BodyError> read_publish_fields(const json::object& object,
                                                                  std::string_view text,
                                                                  std::string channel) {
    // The publisher's own text, never the parsed value serialised again (API.md Message).
    std::optional<std::string> data = member_text(text, "data");
    if (!data) return BodyError{"body has no \"data\""};
    core::PublishRequest request;
    request.channel = std::move(channel);
    request.data = std::move(*data);
    if (const json::value* event = object.if_contains("event")) {
        const json::string* name = event->if_string();
        if (name == nullptr || !core::is_valid_event(*name)) {
            return BodyError{"\"event\" must match [A-Za-z0-9._:-]{1,64}"};
        }
        request.event = std::string(*name);
    }
    if (const json::value* id = object.if_contains("id")) {
        const json::string* name = id->if_string();
        if (name == nullptr || !core::is_valid_message_id(*name)) {
            return BodyError{"\"id\" must be 1 to 200 printable ASCII characters without spaces"};
        }
        request.id = std::string(*name);
    }
    return request;
}

}  // namespace herald::wire
