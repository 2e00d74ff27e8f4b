#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::auth {

/// base64url without padding (RFC 4648 section 5), the alphabet of every JWT part (RFC 7515).
std::string base64url_encode(std::string_view bytes);

/// Nothing for a character outside the alphabet, padding, or a length no encoding can have.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace herald::auth
