#include "transport/http/responses.hpp"

namespace herald::transport {

Response text_response(http::status status, std::string body, std::string_view content_type) {
    Response response{status, 11};
    response.set(http::field::server, "herald");
    response.set(http::field::content_type, content_type);
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(body);
    return response;
}

Response json_response(http::status status, std::string body) {
    return text_response(status, std::move(body), "application/json");
}

Response error_response(wire::ApiError error, std::string_view message) {
    return json_response(status_of(error), wire::error_body(error, message));
}

Response method_not_allowed(std::string_view allow) {
    Response response =
            error_response(wire::ApiError::method_not_allowed, "use " + std::string(allow));
    response.set(http::field::allow, allow);
    return response;
}

bool is_json_media_type(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    std::string_view type = content_type.substr(0, semicolon);
    while (!type.empty() && type.back() == ' ')
        type.remove_suffix(1);
    return beast::iequals(type, "application/json");
}

Response storage_unavailable(std::string_view message) {
    Response response = error_response(wire::ApiError::unavailable, message);
    response.set(http::field::retry_after, "1");
    return response;
}

}  // namespace herald::transport
