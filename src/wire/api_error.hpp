#pragma once

#include <string>
#include <string_view>

namespace herald::wire {

/// Every client-facing failure; each name is its wire code in API.md.
enum class ApiError {
    bad_request,
    unauthorized,
    forbidden,
    not_found,
    method_not_allowed,
    too_large,
    unsupported_media_type,
    rate_limited,
    unavailable,
};

std::string_view code_of(ApiError error);

/// {"error":{"code":CODE,"message":TEXT}}
std::string error_body(ApiError error, std::string_view message);

}  // namespace herald::wire
