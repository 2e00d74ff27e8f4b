#include "storage/redis/redis_url.hpp"

#include <charconv>
#include <limits>
#include <stdexcept>

namespace herald::storage::redis {

namespace {

constexpr std::string_view kScheme = "redis://";

/// `text` with what lies between the scheme and the last `@` masked: error messages get logged.
std::string redacted(std::string_view text) {
    const auto at = text.rfind('@');
    if (!text.starts_with(kScheme) || at == std::string_view::npos) return std::string(text);
    return std::string(kScheme) + "***" + std::string(text.substr(at));
}

[[noreturn]] void fail(std::string_view text, const std::string& reason) {
    throw std::invalid_argument("invalid Redis URL \"" + redacted(text) + "\": " + reason);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Undoes %XX escapes; clears `ok` on a malformed one.
std::string percent_decode(std::string_view in, bool& ok) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        const int high = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
        const int low = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
        if (high < 0 || low < 0) {
            ok = false;
            return {};
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

/// A whole non-negative decimal number no greater than `max`, or -1.
long long parse_number(std::string_view digits, long long max) {
    if (digits.empty() || digits.front() == '-') return -1;
    long long value = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value > max) return -1;
    return value;
}

bool valid_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

RedisEndpoint parse_endpoint(std::string_view text, std::string_view seed) {
    RedisEndpoint endpoint;
    std::string_view port;
    if (seed.starts_with('[')) {
        const auto close = seed.find(']');
        if (close == std::string_view::npos) fail(text, "no ']' after IPv6 address");
        endpoint.host = std::string(seed.substr(1, close - 1));
        const std::string_view after = seed.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) fail(text, "expected ':port' after ']'");
        if (!after.empty()) port = after.substr(1);
        for (const char c : endpoint.host) {
            if (hex_value(c) < 0 && c != ':' && c != '.') fail(text, "bad IPv6 address");
        }
    } else {
        const auto colon = seed.find(':');
        if (colon != std::string_view::npos &&
            seed.find(':', colon + 1) != std::string_view::npos) {
            fail(text, "an IPv6 address needs brackets: [::1]:6379");
        }
        endpoint.host = std::string(seed.substr(0, colon));
        if (colon != std::string_view::npos) port = seed.substr(colon + 1);
        for (const char c : endpoint.host) {
            if (!valid_host_char(c)) fail(text, "bad character in host \"" + endpoint.host + "\"");
        }
    }
    if (endpoint.host.empty()) fail(text, "empty host");
    if (seed.ends_with(':')) fail(text, "empty port after ':'");
    if (!port.empty()) {
        const long long value = parse_number(port, std::numeric_limits<std::uint16_t>::max());
        if (value <= 0) fail(text, "port must be 1-65535, got \"" + std::string(port) + "\"");
        endpoint.port = static_cast<std::uint16_t>(value);
    }
    return endpoint;
}

void parse_credentials(std::string_view text, std::string_view userinfo, RedisUrl& url) {
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
        fail(text, "credentials must be user:password or :password");
    }
    bool ok = true;
    url.user = percent_decode(userinfo.substr(0, colon), ok);
    url.password = percent_decode(userinfo.substr(colon + 1), ok);
    if (!ok) fail(text, "bad %-escape in user or password");
    if (url.password.empty()) fail(text, "empty password");
}

}  // namespace

RedisUrl parse_redis_url(std::string_view text) {
    if (text.starts_with("rediss://")) fail(text, "TLS (rediss://) is not supported");
    if (!text.starts_with(kScheme)) fail(text, "must start with redis://");
    std::string_view rest = text.substr(kScheme.size());

    RedisUrl url;
    // The last '@': a password with an unescaped '@', ':' or '/' still parses.
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        parse_credentials(text, rest.substr(0, at), url);
        rest = rest.substr(at + 1);
    }
    if (rest.find_first_of("?#") != std::string_view::npos) {
        fail(text, "query and fragment are not supported");
    }
    const auto slash = rest.find('/');
    std::string_view hosts = rest.substr(0, slash);
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        const std::string_view db = rest.substr(slash + 1);
        const long long value = parse_number(db, std::numeric_limits<int>::max());
        if (value < 0) fail(text, "database must be a number, got \"" + std::string(db) + "\"");
        url.db = static_cast<int>(value);
    }
    while (true) {
        const auto comma = hosts.find(',');
        url.seeds.push_back(parse_endpoint(text, hosts.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        hosts = hosts.substr(comma + 1);
    }
    return url;
}

std::string to_string(const RedisEndpoint& endpoint) {
    const bool v6 = endpoint.host.find(':') != std::string::npos;
    return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

}  // namespace herald::storage::redis
