#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "webhook/invalid_input.hpp"

namespace herald::webhook {

/// An endpoint URL taken apart for an HTTP client: where to connect and what to send.
///
/// Accepted: `http://` or `https://` (any case), a host (name, IPv4, or IPv6 in brackets), an
/// optional port 1..65535, an optional path and query. Refused, each with its own message:
/// other schemes, no host, user:password@ (it would need an Authorization header we do not
/// send), a fragment (never sent over HTTP, so surely a mistake), port 0 or above 65535, and
/// anything over kMaxEndpointUrlBytes.
struct EndpointUrl {
    bool tls = false;         // https
    std::string host;         // to resolve and, for names, the TLS SNI: "example.com", "::1"
    bool host_is_ip = false;  // IPv4 or IPv6 literal: no SNI, and certificate checks by IP
    std::uint16_t port = 0;   // the default of the scheme when the URL names none
    std::string target;       // request target, origin form: "/hooks?x=1", at least "/"
    std::string host_header;  // value of Host: "example.com", "[::1]:8443" (port if not default)

    /// The URL in normalised form (lower-case scheme, explicit target), for listing and logs.
    std::string text() const;
};

inline constexpr std::size_t kMaxEndpointUrlBytes = 2048;

std::variant<EndpointUrl, InvalidInput> parse_endpoint_url(std::string_view url);

}  // namespace herald::webhook
