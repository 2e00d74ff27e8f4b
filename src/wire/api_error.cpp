#include "wire/api_error.hpp"

#include "core/message.hpp"

namespace herald::wire {

std::string_view code_of(ApiError error) {
    switch (error) {  // a line per code, no default: -Wswitch names a missing one
        case ApiError::bad_request: return "bad_request";
        case ApiError::unauthorized: return "unauthorized";
        case ApiError::forbidden: return "forbidden";
        case ApiError::not_found: return "not_found";
        case ApiError::method_not_allowed: return "method_not_allowed";
        case ApiError::too_large: return "too_large";
        case ApiError::unsupported_media_type: return "unsupported_media_type";
        case ApiError::rate_limited: return "rate_limited";
        case ApiError::unavailable: return "unavailable";
    }
    return "internal";
}

std::string error_body(ApiError error, std::string_view message) {
    std::string body = "{\"error\":{\"code\":\"";
    body += code_of(error);
    body += "\",\"message\":";
    core::append_json_string(body, message);
    body += "}}";
    return body;
}

}  // namespace herald::wire
