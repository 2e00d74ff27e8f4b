#include "util/ip_network.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald {
namespace {

namespace ip = boost::asio::ip;

IpNetwork network(const char* text) {
    std::string error;
    auto parsed = IpNetwork::parse(text, error);
    EXPECT_TRUE(parsed.has_value()) << text << ": " << error;
    return parsed.value_or(*IpNetwork::parse("0.0.0.0/32", error));
}

bool contains(const char* block, const char* address) {
    return network(block).contains(ip::make_address(address));
}

std::string refusal(const char* text) {
    std::string error;
    EXPECT_FALSE(IpNetwork::parse(text, error).has_value()) << text;
    return error;
}

TEST(IpNetwork, CidrBlocksOfBothFamilies) {
    EXPECT_TRUE(contains("10.0.0.0/8", "10.255.1.2"));
    EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.0"));
    EXPECT_TRUE(contains("192.168.4.0/22", "192.168.7.255"));
    EXPECT_FALSE(contains("192.168.4.0/22", "192.168.8.0"));
    EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::1"));
    EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::1"));
    EXPECT_TRUE(contains("0.0.0.0/0", "203.0.113.1"));
    EXPECT_FALSE(contains("0.0.0.0/0", "2001:db8::1")) << "families never mix";
    EXPECT_TRUE(contains("::/0", "2001:db8::1"));
}

TEST(IpNetwork, ABareAddressIsItself) {
    EXPECT_EQ(network("127.0.0.1").to_string(), "127.0.0.1/32");
    EXPECT_EQ(network("::1").to_string(), "::1/128");
    EXPECT_TRUE(contains("127.0.0.1", "127.0.0.1"));
    EXPECT_FALSE(contains("127.0.0.1", "127.0.0.2"));
}

TEST(IpNetwork, V4MappedAddressesAreTheirIpv4Ones) {
    EXPECT_TRUE(contains("127.0.0.1/32", "::ffff:127.0.0.1"));
    EXPECT_TRUE(contains("::ffff:10.0.0.0/8", "10.1.2.3")) << "a v4-mapped block is IPv4";
    EXPECT_FALSE(contains("::1/128", "127.0.0.1"));
}

TEST(IpNetwork, MistakesAreRefusedSayingWhy) {
    EXPECT_NE(refusal("10.0.0/8").find("not an address"), std::string::npos);
    EXPECT_NE(refusal("example.com").find("not an address"), std::string::npos);
    EXPECT_NE(refusal("").find("not an address"), std::string::npos);
    EXPECT_NE(refusal("fe80::1%eth0/64").find("not an address"), std::string::npos);
    EXPECT_NE(refusal("10.0.0.0/33").find("prefix length from 0 to 32"), std::string::npos);
    EXPECT_NE(refusal("::/129").find("from 0 to 128"), std::string::npos);
    EXPECT_NE(refusal("10.0.0.0/").find("prefix length"), std::string::npos);
    EXPECT_NE(refusal("10.0.0.0/8/8").find("prefix length"), std::string::npos);
    EXPECT_NE(refusal("10.0.0.0/+8").find("prefix length"), std::string::npos);
    const std::string host_bits = refusal("10.1.2.3/8");
    EXPECT_NE(host_bits.find("10.0.0.0/8"), std::string::npos) << host_bits;
    EXPECT_NE(refusal("2001:db8::1/64").find("2001:db8::/64"), std::string::npos);
}

}  // namespace
}  // namespace herald
