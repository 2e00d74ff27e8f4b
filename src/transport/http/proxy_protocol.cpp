#include "transport/http/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

namespace herald::transport {

namespace ip = boost::asio::ip;
using Kind = ProxyHeader::Kind;

namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::size_t kV2FixedBytes = 16;  // signature, version and command, family, length

ProxyHeader incomplete() {
    return ProxyHeader{};
}

ProxyHeader invalid(std::string_view why) {
    ProxyHeader header;
    header.kind = Kind::invalid;
    header.error = why;
    return header;
}

ProxyHeader local(std::size_t length) {
    ProxyHeader header;
    header.kind = Kind::local;
    header.length = length;
    return header;
}

ProxyHeader proxied(std::size_t length, ip::address source, std::uint16_t port) {
    ProxyHeader header;
    header.kind = Kind::proxied;
    header.length = length;
    header.source = source;
    header.source_port = port;
    return header;
}

/// A version 1 port: decimal, 0 to 65535.
bool parse_port(std::string_view text, std::uint16_t& port) {
    unsigned value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || stop != end || text.empty() || text.size() > 5 || value > 65535) {
        return false;
    }
    port = static_cast<std::uint16_t>(value);
    return true;
}

/// A version 1 address of the line's family: dotted IPv4 for TCP4, IPv6 text for TCP6.
bool parse_address(std::string_view text, bool v6, ip::address& address) {
    boost::system::error_code ec;
    const std::string copy(text);
    if (v6) {
        if (copy.find('%') != std::string::npos) return false;  // a scope is no client address
        address = ip::make_address_v6(copy, ec);
    } else {
        address = ip::make_address_v4(copy, ec);
    }
    return !ec;
}

/// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n", "PROXY UNKNOWN ...\r\n".
ProxyHeader parse_v1(std::string_view bytes) {
    const auto newline = bytes.substr(0, kMaxProxyV1Bytes).find('\n');
    if (newline == std::string_view::npos) {
        if (bytes.size() >= kMaxProxyV1Bytes) return invalid("version 1 line over 107 bytes");
        return incomplete();
    }
    if (newline < kV1Prefix.size() || bytes[newline - 1] != '\r') {
        return invalid("version 1 line not ended by CRLF");
    }
    const std::size_t length = newline + 1;
    std::string_view line = bytes.substr(kV1Prefix.size(), newline - 1 - kV1Prefix.size());
    // UNKNOWN: the sender could not tell (a non-TCP client); whatever follows is ignored.
    if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return local(length);

    // Exactly five fields, each separated by one space.
    std::array<std::string_view, 5> fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto space = line.find(' ');
        if ((space == std::string_view::npos) != (i + 1 == fields.size())) {
            return invalid("version 1 line without its five fields");
        }
        fields[i] = line.substr(0, space);
        if (fields[i].empty()) return invalid("version 1 line with an empty field");
        line.remove_prefix(space == std::string_view::npos ? line.size() : space + 1);
    }
    if (fields[0] != "TCP4" && fields[0] != "TCP6") {
        return invalid("version 1 protocol not TCP4, TCP6 or UNKNOWN");
    }
    const bool v6 = fields[0] == "TCP6";
    ip::address source, destination;
    std::uint16_t source_port = 0, destination_port = 0;
    if (!parse_address(fields[1], v6, source) || !parse_address(fields[2], v6, destination)) {
        return invalid("version 1 address not of its protocol");
    }
    if (!parse_port(fields[3], source_port) || !parse_port(fields[4], destination_port)) {
        return invalid("version 1 port not a number from 0 to 65535");
    }
    return proxied(length, source, source_port);
}

std::uint16_t big_endian(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                      static_cast<unsigned char>(bytes[at + 1]));
}

/// The binary form: signature, version and command, family and transport, length, addresses,
/// then TLVs (skipped: nothing we use travels in them).
ProxyHeader parse_v2(std::string_view bytes) {
    if (bytes.size() < kV2FixedBytes) return incomplete();
    const auto version_command = static_cast<unsigned char>(bytes[12]);
    if ((version_command >> 4) != 2) return invalid("version 2 signature with another version");
    const unsigned command = version_command & 0x0F;
    const auto family = static_cast<unsigned char>(bytes[13]);
    const std::size_t length = kV2FixedBytes + big_endian(bytes, 14);
    if (command == 0x0) return local(length);  // LOCAL: the balancer's own health check
    if (command != 0x1) return invalid("version 2 command neither LOCAL nor PROXY");

    std::size_t addresses = 0;  // bytes of the address block
    switch (family) {
        // TCP over IPv4 (two addresses, two ports), TCP over IPv6.
        case 0x11: addresses = 12; break;
        case 0x21: addresses = 36; break;
        // UNSPEC, or AF_UNIX: no client address to take; the spec says use the connection's.
        case 0x00:
        case 0x31:
        case 0x32: return local(length);
        case 0x12:
        case 0x22: return invalid("version 2 header for UDP on a TCP port");
        default: return invalid("version 2 address family unknown");
    }
    if (length < kV2FixedBytes + addresses) {
        return invalid("version 2 length shorter than its addresses");
    }
    if (bytes.size() < kV2FixedBytes + addresses) return incomplete();
    const std::string_view block = bytes.substr(kV2FixedBytes, addresses);
    if (family == 0x11) {
        ip::address_v4::bytes_type source;
        std::copy_n(block.begin(), source.size(), source.begin());
        return proxied(length, ip::make_address_v4(source), big_endian(block, 8));
    }
    ip::address_v6::bytes_type source;
    std::copy_n(block.begin(), source.size(), source.begin());
    return proxied(length, ip::make_address_v6(source), big_endian(block, 32));
}

/// Whether `bytes` is `prefix` or the start of it.
bool starts_as(std::string_view bytes, std::string_view prefix) {
    return bytes.substr(0, prefix.size()) == prefix.substr(0, bytes.size());
}

}  // namespace

ProxyHeader parse_proxy_header(std::string_view bytes) {
    if (bytes.empty()) return incomplete();
    if (bytes[0] == kV1Prefix[0]) {
        if (!starts_as(bytes, kV1Prefix)) return invalid("no PROXY protocol header");
        return bytes.size() < kV1Prefix.size() ? incomplete() : parse_v1(bytes);
    }
    if (!starts_as(bytes, kV2Signature)) return invalid("no PROXY protocol header");
    return parse_v2(bytes);
}

}  // namespace herald::transport
