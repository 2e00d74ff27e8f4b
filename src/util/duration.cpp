#include "util/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace herald {
namespace {

struct Unit {
    std::string_view suffix;
    std::int64_t millis;
};

// Longest suffix first, so "ms" is not read as "m".
constexpr Unit kUnits[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::int64_t number = 0;
    const char* end = text.data() + text.size();
    auto [rest, ec] = std::from_chars(text.data(), end, number);
    if (ec != std::errc{} || rest == text.data() || number < 0) return std::nullopt;
    std::string_view suffix(rest, static_cast<std::size_t>(end - rest));
    std::int64_t scale = 1000;  // a bare number is seconds
    if (!suffix.empty()) {
        scale = 0;
        for (const Unit& unit : kUnits) {
            if (suffix == unit.suffix) scale = unit.millis;
        }
        if (scale == 0) return std::nullopt;
    }
    if (number > std::numeric_limits<std::int64_t>::max() / scale) return std::nullopt;
    return std::chrono::milliseconds(number * scale);
}

std::string format_duration(std::chrono::milliseconds value) {
    const std::int64_t millis = value.count();
    // Days parse but are not shown: "24h" reads better than "1d" in --help and logs.
    for (auto it = std::rbegin(kUnits) + 1; it != std::rend(kUnits); ++it) {
        if (millis != 0 && millis % it->millis == 0) {
            return std::to_string(millis / it->millis) + std::string(it->suffix);
        }
    }
    return std::to_string(millis) + "ms";
}

}  // namespace herald
