#include "transport/http/proxy_protocol.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

namespace ip = boost::asio::ip;
using Kind = ProxyHeader::Kind;
using namespace std::string_literals;

const std::string kSignature = "\r\n\r\n\0\r\nQUIT\n"s;

/// A version 2 header: signature, `version_command`, `family`, the length, then `body`.
std::string v2(unsigned char version_command, unsigned char family, const std::string& body,
               std::size_t length) {
    std::string header = kSignature;
    header += static_cast<char>(version_command);
    header += static_cast<char>(family);
    header += static_cast<char>(length >> 8);
    header += static_cast<char>(length & 0xFF);
    return header + body;
}
std::string v2(unsigned char version_command, unsigned char family, const std::string& body) {
    return v2(version_command, family, body, body.size());
}

/// TCP over IPv4 from 192.0.2.7:51000 to 198.51.100.1:443.
const std::string kTcp4Block = "\xC0\x00\x02\x07\xC6\x33\x64\x01\xC7\x38\x01\xBB"s;
/// TCP over IPv6 from 2001:db8::7 port 51000 to 2001:db8::1 port 443.
const std::string kTcp6Block = "\x20\x01\x0D\xB8"s + std::string(11, '\0') + "\x07"s +
                               "\x20\x01\x0D\xB8"s + std::string(11, '\0') + "\x01"s +
                               "\xC7\x38\x01\xBB"s;

TEST(ProxyProtocolV1, Tcp4NamesTheSourceAndLeavesWhatFollows) {
    const std::string header = "PROXY TCP4 192.0.2.7 198.51.100.1 51000 443\r\n";
    const std::string bytes = header + "GET / HTTP/1.1\r\n";
    const ProxyHeader parsed = parse_proxy_header(bytes);
    ASSERT_EQ(parsed.kind, Kind::proxied) << parsed.error;
    EXPECT_EQ(parsed.length, header.size());
    EXPECT_EQ(parsed.source, ip::make_address("192.0.2.7"));
    EXPECT_EQ(parsed.source_port, 51000);
    EXPECT_EQ(bytes.substr(parsed.length), "GET / HTTP/1.1\r\n")
            << "trailing bytes are the stream's";
}

TEST(ProxyProtocolV1, Tcp6) {
    const std::string header = "PROXY TCP6 2001:db8::7 2001:db8::1 51000 443\r\n";
    const ProxyHeader parsed = parse_proxy_header(header + "\x16\x03\x01"s);  // a TLS hello next
    ASSERT_EQ(parsed.kind, Kind::proxied) << parsed.error;
    EXPECT_EQ(parsed.length, header.size());
    EXPECT_EQ(parsed.source, ip::make_address("2001:db8::7"));
}

TEST(ProxyProtocolV1, TheLongestLineIsAccepted) {
    const std::string header =
            "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    EXPECT_EQ(header.size(), 104u);  // the spec's longest TCP6 line
    EXPECT_EQ(parse_proxy_header(header).kind, Kind::proxied);
}

TEST(ProxyProtocolV1, UnknownKeepsThePeerWhateverFollowsIt) {
    const ProxyHeader short_form = parse_proxy_header("PROXY UNKNOWN\r\nGET");
    EXPECT_EQ(short_form.kind, Kind::local);
    EXPECT_EQ(short_form.length, 15u);
    const std::string long_form = "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n";
    const ProxyHeader parsed = parse_proxy_header(long_form);
    EXPECT_EQ(parsed.kind, Kind::local);
    EXPECT_EQ(parsed.length, long_form.size());
}

TEST(ProxyProtocolV1, APartialHeaderNeedsMore) {
    const std::string header = "PROXY TCP4 192.0.2.7 198.51.100.1 51000 443\r\n";
    for (std::size_t size = 0; size < header.size(); ++size) {
        EXPECT_EQ(parse_proxy_header(header.substr(0, size)).kind, Kind::incomplete) << size;
    }
}

TEST(ProxyProtocolV1, ALineOver107BytesIsRefusedWithoutItsEnd) {
    const std::string endless = "PROXY TCP4 " + std::string(200, '1');
    EXPECT_EQ(parse_proxy_header(endless.substr(0, 106)).kind, Kind::incomplete);
    EXPECT_EQ(parse_proxy_header(endless.substr(0, 107)).kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header(endless).kind, Kind::invalid);
    // The CRLF must be within the 107 bytes.
    const std::string late = "PROXY UNKNOWN " + std::string(93, 'x') + "\r\n";
    EXPECT_EQ(late.size(), 109u);
    EXPECT_EQ(parse_proxy_header(late).kind, Kind::invalid);
}

TEST(ProxyProtocolV1, MalformedLinesAreRefused) {
    for (const char* line : {
                 "PROXY TCP4 192.0.2.7 198.51.100.1 51000\r\n",        // four fields
                 "PROXY TCP4 192.0.2.7 198.51.100.1 51000 443 9\r\n",  // six
                 "PROXY TCP4  192.0.2.7 198.51.100.1 51000 443\r\n",   // two spaces
                 "PROXY TCP5 192.0.2.7 198.51.100.1 51000 443\r\n",    // protocol
                 "PROXY TCP4 2001:db8::7 198.51.100.1 51000 443\r\n",  // v6 in TCP4
                 "PROXY TCP6 192.0.2.7 2001:db8::1 51000 443\r\n",     // v4 in TCP6
                 "PROXY TCP4 192.0.2.7 198.51.100.1 65536 443\r\n",    // port
                 "PROXY TCP4 192.0.2.7 198.51.100.1 -1 443\r\n",       // port
                 "PROXY TCP4 192.0.2 198.51.100.1 51000 443\r\n",      // short IPv4
                 "PROXY TCP6 fe80::1%eth0 2001:db8::1 51000 443\r\n",  // a scope
                 "PROXY TCP4 192.0.2.7 198.51.100.1 51000 443\n",      // LF alone
                 "PROXY \r\n",
         }) {
        EXPECT_EQ(parse_proxy_header(line).kind, Kind::invalid) << line;
    }
}

TEST(ProxyProtocol, AConnectionWithoutAHeaderIsRefusedAtItsFirstByte) {
    EXPECT_EQ(parse_proxy_header("GET / HTTP/1.1\r\nHost: x\r\n\r\n").kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header("POST /v1/").kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header("PROXZ").kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header("\x16\x03\x01\x02\x00"s).kind, Kind::invalid)
            << "a TLS hello with no header first";
    EXPECT_EQ(parse_proxy_header("G").kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header("").kind, Kind::incomplete);
}

TEST(ProxyProtocolV2, ProxyOverIpv4) {
    const std::string header = v2(0x21, 0x11, kTcp4Block);
    const std::string bytes = header + "GET / HTTP/1.1\r\n";
    const ProxyHeader parsed = parse_proxy_header(bytes);
    ASSERT_EQ(parsed.kind, Kind::proxied) << parsed.error;
    EXPECT_EQ(parsed.length, 28u);
    EXPECT_EQ(parsed.source, ip::make_address("192.0.2.7"));
    EXPECT_EQ(parsed.source_port, 51000);
    EXPECT_EQ(bytes.substr(parsed.length), "GET / HTTP/1.1\r\n");
}

TEST(ProxyProtocolV2, ProxyOverIpv6) {
    const ProxyHeader parsed = parse_proxy_header(v2(0x21, 0x21, kTcp6Block) + "\x16"s);
    ASSERT_EQ(parsed.kind, Kind::proxied) << parsed.error;
    EXPECT_EQ(parsed.length, 52u);
    EXPECT_EQ(parsed.source, ip::make_address("2001:db8::7"));
    EXPECT_EQ(parsed.source_port, 51000);
}

TEST(ProxyProtocolV2, TlvsAreSkippedEvenBeyondTheBytesGiven) {
    // An ALPN TLV (type 0x01) and a 300-byte authority (0x02): the header spans them all.
    const std::string tlvs = "\x01\x00\x02h2"s + "\x02\x01\x2C"s + std::string(300, 'a');
    const std::string header = v2(0x21, 0x11, kTcp4Block + tlvs);
    const ProxyHeader whole = parse_proxy_header(header + "GET");
    ASSERT_EQ(whole.kind, Kind::proxied);
    EXPECT_EQ(whole.length, header.size());
    // The addresses are enough to decide; the reader then discards the rest as it arrives.
    const ProxyHeader cut = parse_proxy_header(header.substr(0, kProxyDecisionBytes));
    ASSERT_EQ(cut.kind, Kind::proxied);
    EXPECT_EQ(cut.length, header.size());
    EXPECT_EQ(cut.source, ip::make_address("192.0.2.7"));
}

TEST(ProxyProtocolV2, LocalIsAHealthCheck) {
    const ProxyHeader parsed = parse_proxy_header(v2(0x20, 0x00, "") + "GET");
    EXPECT_EQ(parsed.kind, Kind::local);
    EXPECT_EQ(parsed.length, 16u);
    // LOCAL ignores whatever address block it carries.
    EXPECT_EQ(parse_proxy_header(v2(0x20, 0x11, kTcp4Block)).length, 28u);
    EXPECT_EQ(parse_proxy_header(v2(0x20, 0x11, kTcp4Block)).kind, Kind::local);
}

TEST(ProxyProtocolV2, UnspecAndUnixKeepThePeer) {
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x00, "")).kind, Kind::local);
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x31, std::string(216, '\0'))).kind, Kind::local);
}

TEST(ProxyProtocolV2, APartialHeaderNeedsMore) {
    const std::string header = v2(0x21, 0x21, kTcp6Block);
    for (std::size_t size = 0; size < header.size(); ++size) {
        EXPECT_EQ(parse_proxy_header(header.substr(0, size)).kind, Kind::incomplete) << size;
    }
}

TEST(ProxyProtocolV2, BadSignatureVersionCommandOrFamilyIsRefused) {
    std::string bad_signature = v2(0x21, 0x11, kTcp4Block);
    bad_signature[8] = 'X';  // "QUIT" -> "QXIT"
    EXPECT_EQ(parse_proxy_header(bad_signature).kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header(bad_signature.substr(0, 9)).kind, Kind::invalid)
            << "refused as soon as the signature differs";
    EXPECT_EQ(parse_proxy_header(v2(0x11, 0x11, kTcp4Block)).kind, Kind::invalid) << "version 1";
    EXPECT_EQ(parse_proxy_header(v2(0x22, 0x11, kTcp4Block)).kind, Kind::invalid) << "command 2";
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x12, kTcp4Block)).kind, Kind::invalid) << "UDP";
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x41, kTcp4Block)).kind, Kind::invalid) << "family 4";
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x13, kTcp4Block)).kind, Kind::invalid) << "transport 3";
}

TEST(ProxyProtocolV2, ALengthShorterThanItsAddressesIsRefused) {
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, kTcp4Block, 11)).kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x21, kTcp6Block, 35)).kind, Kind::invalid);
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x21, kTcp4Block, 12)).kind, Kind::invalid)
            << "IPv6 with an IPv4 block";
    // Longer is allowed: TLVs follow the addresses.
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, kTcp4Block, 20)).length, 36u);
}

}  // namespace
}  // namespace herald::transport
