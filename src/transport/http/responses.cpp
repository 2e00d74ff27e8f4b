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

}  // namespace herald::transport
