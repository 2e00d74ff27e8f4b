#include "webhook/endpoint_url.hpp"

#include <charconv>
#include <optional>

#include <boost/url/parse.hpp>

namespace herald::webhook {
namespace {

/// "http" or "https" in any case; nothing for another scheme.
std::optional<bool> tls_of(std::string_view scheme) {
    std::string lower(scheme);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (lower == "http") return false;
    if (lower == "https") return true;
    return std::nullopt;
}

/// The port the URL names, its scheme's default when it names none; 0 when out of range.
std::uint16_t port_of(const boost::urls::url_view& url, bool tls) {
    const std::string_view text = url.port();
    if (!url.has_port() || text.empty()) return tls ? 443 : 80;  // "http://h:/" is legal, default
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return 0;
    return static_cast<std::uint16_t>(value);
}

std::string host_header_of(const EndpointUrl& parsed, std::string_view encoded_host) {
    std::string header(encoded_host);  // keeps an IPv6 literal's brackets
    if (parsed.port != (parsed.tls ? 443 : 80)) {
        header += ':';
        header += std::to_string(parsed.port);
    }
    return header;
}

}  // namespace

std::string EndpointUrl::text() const {
    std::string out = tls ? "https://" : "http://";
    out += host_header;
    out += target;
    return out;
}

std::variant<EndpointUrl, InvalidInput> parse_endpoint_url(std::string_view text) {
    if (text.size() > kMaxEndpointUrlBytes) {
        return InvalidInput{"url is longer than " + std::to_string(kMaxEndpointUrlBytes) +
                            " bytes"};
    }
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return InvalidInput{"url is not a valid absolute URL"};
    const boost::urls::url_view& url = *parsed;
    const auto tls = tls_of(url.scheme());
    if (!tls) return InvalidInput{"url must start with http:// or https://"};
    if (!url.has_authority() || url.encoded_host().empty()) return InvalidInput{"url needs a host"};
    if (url.has_userinfo()) return InvalidInput{"url must not carry credentials (user@host)"};
    if (url.has_fragment()) return InvalidInput{"url must not have a fragment (#...)"};
    if (url.host_type() == boost::urls::host_type::ipvfuture) {
        return InvalidInput{"url host must be a name, an IPv4 or an IPv6 address"};
    }
    EndpointUrl result;
    result.tls = *tls;
    result.port = port_of(url, *tls);
    if (result.port == 0) return InvalidInput{"url port must be 1 to 65535"};
    result.host = url.host_address();  // decoded, without IPv6 brackets
    result.host_is_ip = url.host_type() != boost::urls::host_type::name;
    const std::string_view target = url.encoded_target();
    if (!target.starts_with('/')) result.target.push_back('/');  // the target was "" or "?query"
    result.target += target;
    result.host_header = host_header_of(result, url.encoded_host());
    return result;
}

}  // namespace herald::webhook
