#pragma once

#include <string>
#include <string_view>

#include "transport/http/http_types.hpp"
#include "wire/api_error.hpp"

namespace herald::transport {

constexpr http::status status_of(wire::ApiError error) {
    using wire::ApiError;
    switch (error) {  // a line per code, no default: -Wswitch names a missing one
        case ApiError::bad_request: return http::status::bad_request;
        case ApiError::unauthorized: return http::status::unauthorized;
        case ApiError::forbidden: return http::status::forbidden;
        case ApiError::not_found: return http::status::not_found;
        case ApiError::method_not_allowed: return http::status::method_not_allowed;
        case ApiError::too_large: return http::status::payload_too_large;
        case ApiError::unsupported_media_type: return http::status::unsupported_media_type;
        case ApiError::rate_limited: return http::status::too_many_requests;
        case ApiError::unavailable: return http::status::service_unavailable;
    }
    return http::status::internal_server_error;  // only for a value outside the enum
}

Response json_response(http::status status, std::string body);
Response text_response(http::status status, std::string body, std::string_view content_type);
/// 405 with the methods that `allow`s.
Response method_not_allowed(std::string_view allow);
/// API.md: JSON bodies with or without a charset parameter.
bool is_json_media_type(std::string_view content_type);
/// The API.md error body with the status that matches `error`.
Response error_response(wire::ApiError error, std::string_view message);

/// 503 `unavailable` with Retry-After: 1, for storage that could not answer (a failed read,
/// Redis unreachable): the client tries again, never takes it for an empty answer.
Response storage_unavailable(std::string_view message = "storage could not answer; try again");

}  // namespace herald::transport
