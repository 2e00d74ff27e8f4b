#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace herald {

/// A block of addresses, written in CIDR form ("10.0.0.0/8", "2001:db8::/32") or as one address
/// ("127.0.0.1" is 127.0.0.1/32, "::1" is ::1/128): what http.trusted_proxies lists.
/// An IPv4 block also holds the v4-mapped IPv6 forms of its addresses (::ffff:10.1.2.3), which
/// is how a dual-stack socket sees IPv4 peers.
/// Thread: any (immutable).
class IpNetwork {
public:
    /// The block `text` names; none, with `error` saying why, when it is not one. Bits set past
    /// the prefix ("10.1.2.3/8") are refused: 10.0.0.0/8 or 10.1.2.3/32 was probably meant.
    static std::optional<IpNetwork> parse(std::string_view text, std::string& error);

    [[nodiscard]] bool contains(const boost::asio::ip::address& address) const;
    /// The CIDR form: "10.0.0.0/8", "::1/128".
    std::string to_string() const;

    friend bool operator==(const IpNetwork&, const IpNetwork&) = default;

private:
    IpNetwork(boost::asio::ip::address base, unsigned prefix) : base_(base), prefix_(prefix) {}

    boost::asio::ip::address base_;  // IPv4, or IPv6 other than v4-mapped
    unsigned prefix_;                // bits of base_ that a member shares
};

/// The IPv4 address inside a v4-mapped IPv6 one (::ffff:10.1.2.3 is 10.1.2.3); any other address
/// as it is.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

}  // namespace herald
