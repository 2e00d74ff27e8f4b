#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace herald::webhook {

/// The wait a receiver asks for in a `Retry-After` header (RFC 9110, section 10.2.3): either
/// delay-seconds ("120") or an HTTP-date, in the preferred IMF-fixdate form ("Sun, 06 Nov 1994
/// 08:49:37 GMT") or the obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
/// ("Sun Nov  6 08:49:37 1994") forms a recipient must also accept. `now_ms` (ms since the
/// Unix epoch) turns a date into a wait; a date already past is a wait of 0. Nothing when the
/// value is none of these (the header is then ignored).
/// Thread: any (pure).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_ms);

}  // namespace herald::webhook
