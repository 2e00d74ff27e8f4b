#include "transport/http/forwarded_for.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace herald::transport {

namespace ip = boost::asio::ip;

namespace {

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool is_port(std::string_view text) {
    unsigned port = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, port);
    return ec == std::errc{} && stop == end && !text.empty() && port <= 65535;
}

/// One entry of the list: "192.0.2.1", "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]",
/// "[2001:db8::1]:4711" (some proxies add the client's port). Anything else: none.
std::optional<ip::address> parse_entry(std::string_view entry) {
    std::string_view host = entry;
    bool v6_only = false;
    if (entry.starts_with('[')) {
        const auto close = entry.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const std::string_view rest = entry.substr(close + 1);
        if (!rest.empty() && !(rest.starts_with(':') && is_port(rest.substr(1)))) {
            return std::nullopt;
        }
        host = entry.substr(1, close - 1);
        v6_only = true;
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
        const auto colon = entry.find(':');
        if (!is_port(entry.substr(colon + 1))) return std::nullopt;
        host = entry.substr(0, colon);
    }
    if (host.find('%') != std::string_view::npos) return std::nullopt;  // a scope: no client
    boost::system::error_code ec;
    const ip::address address = ip::make_address(std::string(host), ec);
    if (ec || (v6_only && !address.is_v6())) return std::nullopt;
    return address;
}

}  // namespace

bool is_trusted_proxy(const ip::address& address, std::span<const IpNetwork> trusted) {
    return std::any_of(trusted.begin(), trusted.end(),
                       [&](const IpNetwork& network) { return network.contains(address); });
}

ip::address forwarded_client(const ip::address& peer,
                             std::span<const std::string_view> forwarded_for,
                             std::span<const IpNetwork> trusted) {
    if (forwarded_for.empty() || !is_trusted_proxy(peer, trusted)) return peer;
    std::optional<ip::address> last_trusted;  // the leftmost trusted entry read so far
    // Right to left: the last field's last entry was appended by the proxy nearest to us.
    for (auto field = forwarded_for.rbegin(); field != forwarded_for.rend(); ++field) {
        std::string_view list = *field;
        while (true) {
            const auto comma = list.rfind(',');
            const std::string_view entry =
                    trimmed(comma == std::string_view::npos ? list : list.substr(comma + 1));
            const auto address = parse_entry(entry);
            if (!address) return peer;  // not what a proxy writes: trust none of it
            if (!is_trusted_proxy(*address, trusted)) return unmapped(*address);
            last_trusted = address;
            if (comma == std::string_view::npos) break;
            list = list.substr(0, comma);
        }
    }
    return last_trusted ? unmapped(*last_trusted) : peer;
}

ip::address forwarded_client(const ip::address& peer, const Request& request,
                             std::span<const IpNetwork> trusted) {
    if (trusted.empty()) return peer;
    std::vector<std::string_view> fields;
    const auto [first, last] = request.equal_range("X-Forwarded-For");
    for (auto field = first; field != last; ++field)
        fields.push_back(field->value());
    return forwarded_client(peer, fields, trusted);
}

}  // namespace herald::transport
