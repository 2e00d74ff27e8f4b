#include "transport/http/client_address.hpp"

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

namespace ip = boost::asio::ip;

bool loopback(const char* text) {
    return is_loopback(ip::make_address(text));
}

TEST(ClientAddress, Ipv4LoopbackIsTheWhole127Net) {
    EXPECT_TRUE(loopback("127.0.0.1"));
    EXPECT_TRUE(loopback("127.0.0.2"));
    EXPECT_TRUE(loopback("127.255.255.254"));
    EXPECT_FALSE(loopback("128.0.0.1"));
    EXPECT_FALSE(loopback("10.0.0.1"));
    EXPECT_FALSE(loopback("0.0.0.0"));
    EXPECT_FALSE(loopback("192.168.1.127"));
}

TEST(ClientAddress, Ipv6LoopbackIsOnlyColonColonOne) {
    EXPECT_TRUE(loopback("::1"));
    EXPECT_FALSE(loopback("::"));
    EXPECT_FALSE(loopback("::2"));
    EXPECT_FALSE(loopback("fe80::1"));
    EXPECT_FALSE(loopback("2001:db8::1"));
}

TEST(ClientAddress, V4MappedLoopbackCountsAsLoopback) {
    // A dual-stack socket sees an IPv4 client of 127.0.0.1 as ::ffff:127.0.0.1.
    EXPECT_TRUE(loopback("::ffff:127.0.0.1"));
    EXPECT_TRUE(loopback("::ffff:127.1.2.3"));
    EXPECT_FALSE(loopback("::ffff:10.0.0.1"));
    EXPECT_FALSE(loopback("::ffff:128.0.0.1"));
}

TEST(ClientAddress, KeyOfV4MappedIsTheIpv4Key) {
    EXPECT_EQ(address_key(ip::make_address("::ffff:203.0.113.7")),
              address_key(ip::make_address("203.0.113.7")));
    EXPECT_NE(address_key(ip::make_address("203.0.113.7")),
              address_key(ip::make_address("203.0.113.8")));
}

TEST(ClientAddress, Ipv6ClientsCountByTheirSlash64) {
    EXPECT_EQ(address_key(ip::make_address("2001:db8:1:2::1")),
              address_key(ip::make_address("2001:db8:1:2:ffff:ffff:ffff:ffff")));
    EXPECT_NE(address_key(ip::make_address("2001:db8:1:2::1")),
              address_key(ip::make_address("2001:db8:1:3::1")));
}

}  // namespace
}  // namespace herald::transport
