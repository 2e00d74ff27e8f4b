#include "wire/publish_body.hpp"

#include <boost/json.hpp>

#include "core/channel_name.hpp"

namespace herald::wire {

namespace json = boost::json;

std::variant<core::PublishRequest, BodyError> parse_publish_body(std::string_view body,
                                                                 std::string channel) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec) return BodyError{"body is not valid JSON: " + ec.message()};
    const json::object* object = parsed.if_object();
    if (object == nullptr) return BodyError{"body must be a JSON object"};
    const json::value* data = object->if_contains("data");
    if (data == nullptr) return BodyError{"body has no \"data\""};

    core::PublishRequest request;
    request.channel = std::move(channel);
    request.data = json::serialize(*data);
    if (const json::value* event = object->if_contains("event")) {
        const json::string* text = event->if_string();
        if (text == nullptr || !core::is_valid_event(*text)) {
            return BodyError{"\"event\" must match [A-Za-z0-9._:-]{1,64}"};
        }
        request.event = std::string(*text);
    }
    if (const json::value* id = object->if_contains("id")) {
        const json::string* text = id->if_string();
        if (text == nullptr || !core::is_valid_message_id(*text)) {
            return BodyError{"\"id\" must be 1 to 200 printable ASCII characters without spaces"};
        }
        request.id = std::string(*text);
    }
    return request;
}

}  // namespace herald::wire
