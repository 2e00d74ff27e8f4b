#include "transport/http/browser_policy.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>

namespace herald::transport {

namespace {

/// The host part of a Host header: "[::1]:8080" is "::1", "a.example:80" is "a.example".
std::string_view host_name(std::string_view host) {
    if (host.starts_with('[')) {
        const std::size_t close = host.find(']');
        return close == std::string_view::npos ? host : host.substr(1, close - 1);
    }
    return host.substr(0, host.find(':'));
}

}  // namespace

bool same_origin(std::string_view origin, std::string_view host) {
    const auto scheme_end = origin.find("://");
    return scheme_end != std::string_view::npos && !host.empty() &&
           boost::beast::iequals(origin.substr(scheme_end + 3), host);
}

bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host) {
    if (origin.empty() || same_origin(origin, host)) return true;
    return std::find(allowed.begin(), allowed.end(), "*") != allowed.end() ||
           std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

bool is_loopback_host(std::string_view host) {
    const std::string_view name = host_name(host);
    if (boost::beast::iequals(name, "localhost")) return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(name, ec);
    return !ec && address.is_loopback();
}

bool host_listed(const std::vector<std::string>& allowed, std::string_view host) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& entry) {
        const bool has_port = entry.starts_with('[') ? entry.find("]:") != std::string::npos
                                                     : entry.find(':') != std::string::npos;
        return has_port ? boost::beast::iequals(entry, host)
                        : boost::beast::iequals(host_name(entry), host_name(host));
    });
}

}  // namespace herald::transport
