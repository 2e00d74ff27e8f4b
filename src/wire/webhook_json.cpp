#include "wire/webhook_json.hpp"

#include <boost/json.hpp>

namespace herald::wire {

namespace json = boost::json;

namespace {

BodyError not_a_list(std::string_view key) {
    std::string message = "\"";
    message.append(key);
    message.append("\" must be an array of strings");
    return BodyError{std::move(message)};
}

std::variant<std::vector<std::string>, BodyError> string_list(const json::value& value,
                                                              std::string_view key) {
    const json::array* array = value.if_array();
    if (array == nullptr) return not_a_list(key);
    std::vector<std::string> items;
    for (const json::value& item : *array) {
        const json::string* text = item.if_string();
        if (text == nullptr) return not_a_list(key);
        items.emplace_back(*text);
    }
    return items;
}

json::array to_array(const std::vector<std::string>& items) {
    json::array array;
    for (const auto& item : items)
        array.emplace_back(item);
    return array;
}

json::object to_object(const core::WebhookView& view) {
    json::object object;
    object["id"] = view.id;
    object["url"] = view.url;
    object["events"] = to_array(view.events);
    object["channels"] = to_array(view.channels);
    object["enabled"] = view.enabled;
    object["source"] = view.source;
    object["created"] = view.created;
    if (view.secret) object["secret"] = *view.secret;
    return object;
}

}  // namespace

std::variant<core::WebhookSpec, BodyError> parse_webhook_spec(std::string_view body) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec) return BodyError{"body is not valid JSON: " + ec.message()};
    const json::object* object = parsed.if_object();
    if (object == nullptr) return BodyError{"body must be a JSON object"};
    core::WebhookSpec spec;
    bool has_url = false, has_events = false;
    for (const auto& [key, value] : *object) {
        if (key == "url") {
            const json::string* text = value.if_string();
            if (text == nullptr) return BodyError{"\"url\" must be a string"};
            spec.url = std::string(*text);
            has_url = true;
        } else if (key == "events" || key == "channels") {
            auto list = string_list(value, key);
            if (auto* error = std::get_if<BodyError>(&list)) return std::move(*error);
            (key == "events" ? spec.events : spec.channels) =
                    std::get<std::vector<std::string>>(std::move(list));
            has_events = has_events || key == "events";
        } else if (key == "secret") {
            const json::string* text = value.if_string();
            if (text == nullptr) return BodyError{"\"secret\" must be a string"};
            spec.secret = std::string(*text);
        } else {
            std::string message = "unknown field \"";
            message.append(key.substr(0, 64));
            message.append("\"; expected url, events, channels, secret");
            return BodyError{std::move(message)};
        }
    }
    if (!has_url) return BodyError{"body has no \"url\""};
    if (!has_events) return BodyError{"body has no \"events\""};
    return spec;
}

std::string webhook_json(const core::WebhookView& view) {
    return json::serialize(to_object(view));
}

std::string webhook_list_json(const std::vector<core::WebhookView>& views) {
    json::array list;
    for (const auto& view : views)
        list.push_back(to_object(view));
    return json::serialize(json::object{{"webhooks", std::move(list)}});
}

std::string deliveries_json(const std::string& id,
                            const std::vector<storage::DeliveryAttempt>& attempts) {
    json::array list;
    for (const auto& a : attempts) {
        json::object item;
        item["event_id"] = a.webhook_id;
        item["type"] = a.type;
        item["attempt"] = a.attempt;
        if (a.status_code != 0) {
            item["status"] = a.status_code;
        } else {
            item["status"] = nullptr;
        }
        if (a.error.empty()) {
            item["error"] = nullptr;
        } else {
            item["error"] = a.error;
        }
        item["outcome"] = a.outcome;
        item["time"] = a.time;
        list.push_back(std::move(item));
    }
    return json::serialize(json::object{{"webhook", id}, {"deliveries", std::move(list)}});
}

}  // namespace herald::wire
