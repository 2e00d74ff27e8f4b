#pragma once

#include <string_view>

namespace herald::core {

/// API.md: `^[A-Za-z0-9._:@-]{1,200}$`.
bool is_valid_channel(std::string_view name);

/// API.md: `[A-Za-z0-9._:-]{1,64}`.
bool is_valid_event(std::string_view name);

/// A publisher's idempotency key: 1..200 printable ASCII characters, no spaces.
bool is_valid_message_id(std::string_view id);

}  // namespace herald::core
