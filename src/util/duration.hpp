#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Parses "250ms", "15s", "2m", "24h", "7d" or a bare number of seconds ("30").
/// Returns nothing for anything else, including negative or overflowing values.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// The shortest exact form: 86400000ms -> "24h", 1500ms -> "1500ms".
std::string format_duration(std::chrono::milliseconds value);

}  // namespace herald
