#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "webhook/secret.hpp"

namespace herald::webhook {

/// What Standard Webhooks signs: "{id}.{timestamp}.{body}". The id must not contain '.'
/// (is_valid_webhook_id), or two different (id, timestamp) pairs could sign the same bytes.
std::string signed_content(std::string_view webhook_id, std::int64_t unix_seconds,
                           std::string_view body);

/// The `webhook-signature` value: "v1," + base64 of HMAC-SHA256(secret key, signed_content).
/// Streams the three parts into the MAC, so the body is never copied.
/// Thread: any. Throws std::bad_alloc only if OpenSSL cannot allocate its context.
std::string sign(const Secret& secret, std::string_view webhook_id, std::int64_t unix_seconds,
                 std::string_view body);

}  // namespace herald::webhook
