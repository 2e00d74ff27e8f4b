#pragma once

#include <span>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "transport/http/http_types.hpp"
#include "util/ip_network.hpp"

namespace herald::transport {

/// Whether `address` is one of http.trusted_proxies.
[[nodiscard]] bool is_trusted_proxy(const boost::asio::ip::address& address,
                                    std::span<const IpNetwork> trusted);

/// The client a request comes from (http.trusted_proxies). `peer` is the address the request
/// reached us from (the TCP peer, or a PROXY header's source); `forwarded_for` are its
/// X-Forwarded-For fields in order (several fields read as one comma-separated list).
///
/// From an untrusted peer the header is ignored: anyone can send one. From a trusted peer the
/// list is read right to left, each proxy having appended the address it was reached from: the
/// first address that is not itself a trusted proxy is the client; when all are trusted, the
/// leftmost (as nginx's real_ip_recursive does). Entries left of the client are its own claims
/// and are not read. An entry met before the client that is not an address (IPv4, IPv6,
/// bracketed, either with a port) makes the whole header ignored: the peer is the client, and
/// the request is served as usual. A v4-mapped IPv6 answer is given as its IPv4 address.
[[nodiscard]] boost::asio::ip::address forwarded_client(
        const boost::asio::ip::address& peer, std::span<const std::string_view> forwarded_for,
        std::span<const IpNetwork> trusted);

/// The same, reading the X-Forwarded-For fields of `request`.
[[nodiscard]] boost::asio::ip::address forwarded_client(const boost::asio::ip::address& peer,
                                                        const Request& request,
                                                        std::span<const IpNetwork> trusted);

}  // namespace herald::transport
