#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald::webhook {

/// Standard base64 (RFC 4648 section 4: `+`, `/`, `=` padding), the alphabet of `whsec_`
/// secrets and of `webhook-signature` values.
std::string base64_encode(std::span<const unsigned char> bytes);

/// Strict decoding: padded to a multiple of 4, no whitespace, no URL-safe alphabet. Strict
/// because receivers' Standard Webhooks libraries decode the same text strictly, and a secret
/// we accept but they refuse would fail every delivery. Nothing for anything else.
std::optional<std::vector<unsigned char>> base64_decode(std::string_view text);

}  // namespace herald::webhook
