#pragma once

#include <cstdint>

#include <boost/asio/ip/address.hpp>

namespace herald::transport {

/// Whether a client connects from this host: 127.0.0.0/8, ::1, or ::ffff:127.x.x.x (an IPv4
/// loopback client of a dual-stack socket).
bool is_loopback(const boost::asio::ip::address& address);

/// What a per-address limit counts a client by: its IPv4 address (v4-mapped IPv6 included), or
/// the /64 prefix of an IPv6 one (a host is usually given a whole /64, so a per-address count
/// would not hold it).
std::uint64_t address_key(const boost::asio::ip::address& address);

}  // namespace herald::transport
