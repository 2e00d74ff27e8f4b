#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace herald::transport {

/// The PROXY protocol header a load balancer (HAProxy, nginx's stream module with
/// `proxy_protocol on;`, AWS NLB, ...) sends before a connection's own bytes, naming the client
/// it accepted the connection from: version 1 (a text line) or version 2 (binary).
/// Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
struct ProxyHeader {
    enum class Kind {
        incomplete,  // a header may start here: read more and ask again. Every byte given is
                     // the header's: a reader may consume them
        proxied,     // the client is `source`
        local,       // LOCAL (a health check), UNKNOWN, or an address family we do not carry:
                     // the connection's own peer is the client
        invalid,     // not a header this protocol allows: close the connection
    };
    Kind kind = Kind::incomplete;
    /// proxied, local: bytes of the header; what follows belongs to the connection's protocol.
    /// Version 2 with TLVs: may be more than the bytes given, the rest is TLVs to discard.
    std::size_t length = 0;
    boost::asio::ip::address source;  // proxied
    std::uint16_t source_port = 0;    // proxied
    std::string_view error;           // invalid: why, for a log line (static text)
};

/// The longest version 1 header, CRLF included (the spec's bound).
inline constexpr std::size_t kMaxProxyV1Bytes = 107;
/// The longest version 2 header without TLVs (the AF_UNIX form), and so the most this parser
/// needs to see to decide: `parse_proxy_header` never answers `incomplete` to this many bytes.
inline constexpr std::size_t kProxyDecisionBytes = 16 + 216;

/// Parses the header at the start of `bytes` (the first bytes a connection sent). Pure: no
/// socket, nothing kept, so every case is unit-tested. Written by hand: Boost has no PROXY
/// protocol, and the two small formats do not justify a dependency.
[[nodiscard]] ProxyHeader parse_proxy_header(std::string_view bytes);

}  // namespace herald::transport
