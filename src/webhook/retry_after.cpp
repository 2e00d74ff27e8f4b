#include "webhook/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

namespace herald::webhook {

namespace {

using std::chrono::milliseconds;

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// More than a year is no longer a wait but a broken header; the dispatcher caps it lower still.
constexpr std::int64_t kMaxSeconds = 366LL * 24 * 3600;

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::optional<milliseconds> delay_seconds(std::string_view text) {
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::int64_t seconds = 0;
    for (char c : text) {
        seconds = std::min(kMaxSeconds, seconds * 10 + (c - '0'));
    }
    return std::chrono::seconds(seconds);
}

/// A broken-down UTC time from one of the three HTTP-date forms.
struct DateParts {
    int year = 0, day = 0, hour = 0, minute = 0, second = 0;
    char month[4] = {};
};

bool scan_date(const std::string& text, DateParts& p) {
    const int length = static_cast<int>(text.size());
    char weekday[10] = {};
    char zone[4] = {};
    int used = 0;
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (std::sscanf(text.c_str(), "%9[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", weekday,
                    &p.day, p.month, &p.year, &p.hour, &p.minute, &p.second, zone, &used) == 8 &&
        used == length && std::string_view(zone) == "GMT") {
        return true;
    }
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is this century's or the
    // last's, whichever is not more than 50 years ahead (RFC 9110).
    used = 0;
    if (std::sscanf(text.c_str(), "%9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%n", weekday,
                    &p.day, p.month, &p.year, &p.hour, &p.minute, &p.second, zone, &used) == 8 &&
        used == length && std::string_view(zone) == "GMT") {
        p.year += p.year < 70 ? 2000 : 1900;
        return true;
    }
    // asctime: "Sun Nov  6 08:49:37 1994"
    used = 0;
    return std::sscanf(text.c_str(), "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", weekday,
                       p.month, &p.day, &p.hour, &p.minute, &p.second, &p.year, &used) == 7 &&
           used == length;
}

std::optional<std::int64_t> http_date_millis(std::string_view text) {
    DateParts p;
    if (!scan_date(std::string(text), p)) return std::nullopt;
    const auto month = std::find(kMonths.begin(), kMonths.end(), std::string_view(p.month));
    if (month == kMonths.end()) return std::nullopt;
    const std::chrono::year_month_day date{
            std::chrono::year(p.year),
            std::chrono::month(static_cast<unsigned>(month - kMonths.begin() + 1)),
            std::chrono::day(static_cast<unsigned>(p.day))};
    const bool clock_ok = p.hour >= 0 && p.hour <= 23 && p.minute >= 0 && p.minute <= 59 &&
                          p.second >= 0 && p.second <= 60;  // 60: a leap second
    if (p.year < 0 || !date.ok() || !clock_ok) return std::nullopt;
    const auto time = std::chrono::sys_days(date) + std::chrono::hours(p.hour) +
                      std::chrono::minutes(p.minute) + std::chrono::seconds(p.second);
    return std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value, std::int64_t now_ms) {
    value = trim(value);
    if (auto seconds = delay_seconds(value)) return seconds;
    const auto at = http_date_millis(value);
    if (!at) return std::nullopt;
    return milliseconds(std::clamp<std::int64_t>(*at - now_ms, 0, kMaxSeconds * 1000));
}

}  // namespace herald::webhook
