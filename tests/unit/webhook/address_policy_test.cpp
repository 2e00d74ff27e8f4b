#include "webhook/address_policy.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

namespace ip = boost::asio::ip;

/// Why `text` (an IPv4 or IPv6 address) is refused; "" when it is allowed.
std::string why(std::string_view text) {
    const auto refused = refusal_of(ip::make_address(std::string(text)));
    return refused ? std::string(*refused) : "";
}

/// The address a URL host names, as text; "(name)" when it names none.
std::string literal(std::string_view host) {
    const auto address = literal_address(host);
    return address ? address->to_string() : "(name)";
}

/// Each input through `f`, against its expected output.
void expect_each(std::string (*f)(std::string_view),
                 std::initializer_list<std::pair<const char*, const char*>> cases) {
    for (const auto& [input, expected] : cases)
        EXPECT_EQ(f(input), expected) << input;
}

TEST(AddressPolicy, PublicAddressesAreAllowed) {
    expect_each(why, {{"8.8.8.8", ""},
                      {"1.1.1.1", ""},
                      {"93.184.216.34", ""},
                      {"2001:4860::8888", ""},
                      {"2606:4700:4700::1111", ""},
                      {"::ffff:8.8.8.8", ""},
                      {"64:ff9b::8.8.8.8", ""}});
}

TEST(AddressPolicy, Ipv4RangesAndTheirEdges) {
    // Each range: the address below it, its first, its last, and the one above it.
    struct Edge {
        const char* below;
        const char* first;
        const char* last;
        const char* above;
        const char* why;
    };
    const Edge edges[] = {
            {nullptr, "0.0.0.0", "0.255.255.255", "1.0.0.0", "unspecified"},
            {"9.255.255.255", "10.0.0.0", "10.255.255.255", "11.0.0.0", "private"},
            {"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0", "carrier-grade NAT"},
            {"126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0", "loopback"},
            {"169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0", "link-local"},
            {"172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0", "private"},
            {"191.255.255.255", "192.0.0.0", "192.0.0.255", "192.0.1.0", "IETF protocol"},
            {"192.167.255.255", "192.168.0.0", "192.168.255.255", "192.169.0.0", "private"},
            {"198.17.255.255", "198.18.0.0", "198.19.255.255", "198.20.0.0", "benchmarking"},
            {"223.255.255.255", "224.0.0.0", "239.255.255.255", nullptr, "multicast"},
            {nullptr, "240.0.0.0", "255.255.255.254", nullptr, "reserved"},
            {nullptr, "255.255.255.255", "255.255.255.255", nullptr, "broadcast"},
    };
    for (const Edge& edge : edges) {
        if (edge.below != nullptr) {
            EXPECT_EQ(why(edge.below), "") << edge.below;
        }
        EXPECT_EQ(why(edge.first), edge.why) << edge.first;
        EXPECT_EQ(why(edge.last), edge.why) << edge.last;
        if (edge.above != nullptr) {
            EXPECT_EQ(why(edge.above), "") << edge.above;
        }
    }
}

TEST(AddressPolicy, Ipv6RangesAndTheirEdges) {
    expect_each(why, {{"::", "unspecified"},
                      {"::1", "loopback"},
                      {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
                      {"fe80::", "link-local"},
                      {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local"},
                      {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
                      {"fc00::", "unique local"},
                      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local"},
                      {"fe00::", ""},
                      {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
                      {"ff00::", "multicast"},
                      {"ff02::1", "multicast"}});
}

TEST(AddressPolicy, Ipv6FormsOfIpv4AreJudgedAsTheirIpv4) {
    expect_each(why, {{"::ffff:127.0.0.1", "loopback"},  // mapped
                      {"::ffff:169.254.169.254", "link-local"},
                      {"::ffff:10.1.2.3", "private"},
                      {"::ffff:172.32.0.0", ""},
                      {"::127.0.0.1", "loopback"},  // compatible
                      {"::192.168.1.1", "private"},
                      {"::8.8.8.8", ""},
                      {"64:ff9b::127.0.0.1", "loopback"},  // NAT64
                      {"64:ff9b::a9fe:a9fe", "link-local"},
                      {"64:ff9b:0:0:0:1:7f00:1", ""},  // outside 64:ff9b::/96
                      {"::fffe:127.0.0.1", ""}});      // neither mapped nor compatible
}

TEST(AddressPolicy, NumericIpv4FormsAreAddresses) {
    expect_each(literal, {{"127.0.0.1", "127.0.0.1"},
                          {"2130706433", "127.0.0.1"},  // one 32-bit number
                          {"0x7f.1", "127.0.0.1"},      // hex, then the last 24 bits
                          {"0177.0.0.1", "127.0.0.1"},  // octal
                          {"127.1", "127.0.0.1"},
                          {"10.1.258", "10.1.1.2"},  // the last part fills the rest
                          {"0", "0.0.0.0"},
                          {"0xA9FEA9FE", "169.254.169.254"},
                          {"::1", "::1"},
                          {"::ffff:127.0.0.1", "::ffff:127.0.0.1"}});
}

TEST(AddressPolicy, NamesAreNotAddresses) {
    expect_each(literal, {{"localhost", "(name)"},  // judged after resolution
                          {"example.com", "(name)"},
                          {"1.2.3.4.5", "(name)"},
                          {"256.1.1.1", "(name)"},
                          {"0x", "(name)"},
                          {"08.1.1.1", "(name)"},  // 8 is not an octal digit
                          {"", "(name)"}});
}

TEST(AddressPolicy, CreationMessagesNameTheAddressAndTheSetting) {
    const auto plain = refuse_private_host("127.0.0.1");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->message,
              "url host is a refused address: 127.0.0.1 (loopback; webhook_delivery.deny_private)");
    const auto numeric = refuse_private_host("0x7f.1");
    ASSERT_TRUE(numeric);
    EXPECT_EQ(numeric->message,
              "url host 0x7f.1 is a refused address: 127.0.0.1 (loopback; "
              "webhook_delivery.deny_private)");
    EXPECT_FALSE(refuse_private_host("localhost"));
    EXPECT_FALSE(refuse_private_host("8.8.8.8"));
    EXPECT_FALSE(refuse_private_host("2001:4860::8888"));
    EXPECT_TRUE(refuse_private_host("::ffff:127.0.0.1"));
    EXPECT_TRUE(refuse_private_host("169.254.169.254"));
}

}  // namespace
}  // namespace herald::webhook
