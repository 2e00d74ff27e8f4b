#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::transport {

/// A request target split into percent-decoded path segments and query parameters.
struct RequestTarget {
    std::vector<std::string> segments;  // "/v1/channels/a%3Ab" -> {"v1", "channels", "a:b"}
    std::vector<std::pair<std::string, std::string>> query;

    /// The first value of `name`, if present.
    std::optional<std::string_view> param(std::string_view name) const;
};

/// Nothing when the target is not a valid origin-form ("/path?query").
std::optional<RequestTarget> parse_request_target(std::string_view target);

/// What a numeric query parameter held.
enum class NumberParam { absent, valid, invalid };

/// Reads a non-negative integer parameter into `out` (API.md: anything else is a 400).
[[nodiscard]] NumberParam read_number(const RequestTarget& target, std::string_view name,
                                      std::uint64_t& out);

}  // namespace herald::transport
