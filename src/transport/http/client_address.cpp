#include "transport/http/client_address.hpp"

#include "util/ip_network.hpp"

namespace herald::transport {

namespace ip = boost::asio::ip;

bool is_loopback(const ip::address& address) {
    return unmapped(address).is_loopback();
}

std::uint64_t address_key(const ip::address& address) {
    const ip::address plain = unmapped(address);
    if (plain.is_v4()) return plain.to_v4().to_uint();
    // Only a /64 under ::/32 (no global unicast there) can meet an IPv4 key; a shared key makes
    // the limit stricter for both, never looser.
    const auto bytes = plain.to_v6().to_bytes();
    std::uint64_t prefix = 0;
    for (std::size_t i = 0; i < 8; ++i)
        prefix = (prefix << 8) | bytes[i];
    return prefix;
}

}  // namespace herald::transport
