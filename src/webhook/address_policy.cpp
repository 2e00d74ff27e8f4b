#include "webhook/address_policy.hpp"

#include <array>
#include <cstdint>

#include <arpa/inet.h>

namespace herald::webhook {

namespace ip = boost::asio::ip;

namespace {

struct Ipv4Range {
    std::uint32_t first;
    unsigned prefix;
    std::string_view why;
};

// RFC 6890 special-purpose blocks that lead into the local network or nowhere useful. 0.0.0.0/8
// is "this network": Linux connects 0.0.0.0 to the local host. The broadcast address comes
// before 240/4, which holds it, to be named for what it is.
constexpr std::array<Ipv4Range, 12> kRefusedIpv4{{
        {0x00000000, 8, "unspecified"},         // 0.0.0.0/8
        {0x0a000000, 8, "private"},             // 10/8
        {0x64400000, 10, "carrier-grade NAT"},  // 100.64/10: shared by an ISP's customers
        {0x7f000000, 8, "loopback"},            // 127/8
        {0xa9fe0000, 16, "link-local"},         // 169.254/16: cloud metadata services
        {0xac100000, 12, "private"},            // 172.16/12
        {0xc0000000, 24, "IETF protocol"},      // 192.0.0.0/24
        {0xc0a80000, 16, "private"},            // 192.168/16
        {0xc6120000, 15, "benchmarking"},       // 198.18/15: test networks
        {0xe0000000, 4, "multicast"},           // 224/4
        {0xffffffff, 32, "broadcast"},          // 255.255.255.255
        {0xf0000000, 4, "reserved"},            // 240/4
}};

std::optional<std::string_view> refusal_of_v4(ip::address_v4 address) {
    const std::uint32_t value = address.to_uint();
    for (const Ipv4Range& range : kRefusedIpv4) {
        const std::uint32_t mask = ~std::uint32_t{0} << (32 - range.prefix);
        if ((value & mask) == range.first) return range.why;
    }
    return std::nullopt;
}

/// The IPv4 address in the last four bytes.
ip::address_v4 embedded_v4(const ip::address_v6::bytes_type& bytes) {
    return ip::address_v4(ip::address_v4::bytes_type{bytes[12], bytes[13], bytes[14], bytes[15]});
}

/// True when `bytes` begins with `prefix`.
template <std::size_t N>
bool starts_with(const ip::address_v6::bytes_type& bytes,
                 const std::array<unsigned char, N>& prefix) {
    for (std::size_t i = 0; i < N; ++i) {
        if (bytes[i] != prefix[i]) return false;
    }
    return true;
}

std::optional<std::string_view> refusal_of_v6(const ip::address_v6& address) {
    if (address.is_unspecified()) return "unspecified";
    if (address.is_loopback()) return "loopback";
    const ip::address_v6::bytes_type bytes = address.to_bytes();
    // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated but still routed to the
    // IPv4 address by some stacks) and 64:ff9b::a.b.c.d (NAT64, RFC 6052) reach an IPv4 host.
    constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    constexpr std::array<unsigned char, 12> kCompatible{};
    constexpr std::array<unsigned char, 12> kNat64{0, 0x64, 0xff, 0x9b};
    if (starts_with(bytes, kMapped) || starts_with(bytes, kCompatible) ||
        starts_with(bytes, kNat64)) {
        return refusal_of_v4(embedded_v4(bytes));
    }
    if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
    if ((bytes[0] & 0xfe) == 0xfc) return "unique local";                    // fc00::/7: private
    if (bytes[0] == 0xff) return "multicast";                                // ff00::/8
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> refusal_of(const ip::address& address) {
    if (address.is_v4()) return refusal_of_v4(address.to_v4());
    return refusal_of_v6(address.to_v6());
}

std::optional<ip::address> literal_address(std::string_view host) {
    const std::string text(host);
    boost::system::error_code ec;
    const ip::address strict = ip::make_address(text, ec);  // dotted IPv4, or IPv6
    if (!ec) return strict;
    // glibc's getaddrinfo takes every inet_aton form as an address, not as a name to look up.
    in_addr numeric{};
    if (::inet_aton(text.c_str(), &numeric) == 0) return std::nullopt;
    return ip::address_v4(ntohl(numeric.s_addr));
}

std::optional<InvalidInput> refuse_private_host(std::string_view host) {
    const auto address = literal_address(host);
    if (!address) return std::nullopt;
    const auto why = refusal_of(*address);
    if (!why) return std::nullopt;
    // "0x7f.1 is a refused address: 127.0.0.1 (...)" says what a numeric form stands for.
    const std::string subject =
            address->to_string() == host ? "url host" : "url host " + std::string(host);
    return InvalidInput{subject + " is a refused address: " + refused_address_text(*address, *why)};
}

std::string refused_address_text(const ip::address& address, std::string_view why) {
    return address.to_string() + " (" + std::string(why) + "; webhook_delivery.deny_private)";
}

}  // namespace herald::webhook
