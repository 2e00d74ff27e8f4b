#include "util/ip_network.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace herald {

namespace ip = boost::asio::ip;

namespace {

/// Bytes of `address` (4 or 16), left-aligned in 16.
std::array<unsigned char, 16> bytes_of(const ip::address& address, std::size_t& size) {
    std::array<unsigned char, 16> bytes{};
    if (address.is_v4()) {
        const auto v4 = address.to_v4().to_bytes();
        std::copy(v4.begin(), v4.end(), bytes.begin());
        size = 4;
    } else {
        bytes = address.to_v6().to_bytes();
        size = 16;
    }
    return bytes;
}

/// Whether the first `prefix` bits of `a` and `b` are equal.
bool same_prefix(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                 unsigned prefix) {
    std::size_t i = 0;
    for (; prefix >= 8; prefix -= 8, ++i) {
        if (a[i] != b[i]) return false;
    }
    if (prefix == 0) return true;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - prefix));
    return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

ip::address unmapped(const ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return ip::make_address_v4(ip::v4_mapped, address.to_v6());
    }
    return address;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text, std::string& error) {
    const auto slash = text.find('/');
    const std::string address_text(text.substr(0, slash));
    boost::system::error_code ec;
    ip::address address = ip::make_address(address_text, ec);
    // A scope (fe80::1%eth0) names an interface of this host, not a block of addresses.
    if (ec || address_text.find('%') != std::string::npos) {
        error = std::string("'").append(text).append(
                "' is not an address or a CIDR block (like 10.0.0.0/8, 2001:db8::/32 or "
                "127.0.0.1)");
        return std::nullopt;
    }
    address = unmapped(address);
    const unsigned bits = address.is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if (slash != std::string_view::npos) {
        const std::string_view prefix_text = text.substr(slash + 1);
        const char* end = prefix_text.data() + prefix_text.size();
        const auto [stop, parse_ec] = std::from_chars(prefix_text.data(), end, prefix);
        if (parse_ec != std::errc{} || stop != end || prefix_text.empty() || prefix > bits) {
            error = std::string("'")
                            .append(text)
                            .append("' has no prefix length from 0 to ")
                            .append(std::to_string(bits));
            return std::nullopt;
        }
    }
    std::size_t size = 0;
    const auto bytes = bytes_of(address, size);
    std::array<unsigned char, 16> base{};
    for (unsigned bit = 0; bit < prefix; ++bit) {
        base[bit / 8] |= static_cast<unsigned char>(bytes[bit / 8] & (0x80 >> (bit % 8)));
    }
    if (base != bytes) {
        const IpNetwork network(
                address.is_v4() ? ip::address(ip::make_address_v4(ip::address_v4::bytes_type{
                                          base[0], base[1], base[2], base[3]}))
                                : ip::address(ip::make_address_v6(base)),
                prefix);
        error = std::string("'")
                        .append(text)
                        .append("' has bits set past its /")
                        .append(std::to_string(prefix))
                        .append(" prefix: write ")
                        .append(network.to_string())
                        .append(", or ")
                        .append(address_text)
                        .append(" for that one address");
        return std::nullopt;
    }
    return IpNetwork(address, prefix);
}

bool IpNetwork::contains(const ip::address& address) const {
    const ip::address plain = unmapped(address);
    if (plain.is_v4() != base_.is_v4()) return false;
    std::size_t size = 0;
    return same_prefix(bytes_of(plain, size), bytes_of(base_, size), prefix_);
}

std::string IpNetwork::to_string() const {
    return base_.to_string().append("/").append(std::to_string(prefix_));
}

}  // namespace herald
