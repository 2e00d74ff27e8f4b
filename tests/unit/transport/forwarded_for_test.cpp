#include "transport/http/forwarded_for.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

namespace ip = boost::asio::ip;

class ForwardedForTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* block : {"10.0.0.0/8", "127.0.0.1/32", "::1/128", "2001:db8:ff::/48"}) {
            std::string error;
            trusted_.push_back(*IpNetwork::parse(block, error));
        }
    }

    /// The client of a request from `peer` with these X-Forwarded-For fields.
    std::string client(const char* peer, std::vector<std::string_view> fields) const {
        return forwarded_client(ip::make_address(peer), fields, trusted_).to_string();
    }

    std::vector<IpNetwork> trusted_;
};

TEST_F(ForwardedForTest, TheRightmostUntrustedAddressIsTheClient) {
    EXPECT_EQ(client("127.0.0.1", {"203.0.113.9"}), "203.0.113.9");
    // The client claimed 198.51.100.1 itself; the balancer (10.1.1.1) appended what it saw.
    EXPECT_EQ(client("127.0.0.1", {"198.51.100.1, 203.0.113.9, 10.1.1.1"}), "203.0.113.9");
    EXPECT_EQ(client("10.2.2.2", {"203.0.113.9,10.1.1.1"}), "203.0.113.9") << "no spaces";
}

TEST_F(ForwardedForTest, SeveralFieldsReadAsOneList) {
    EXPECT_EQ(client("127.0.0.1", {"198.51.100.1", "203.0.113.9, 10.1.1.1"}), "203.0.113.9");
    EXPECT_EQ(client("127.0.0.1", {"203.0.113.9", "10.1.1.1"}), "203.0.113.9");
}

TEST_F(ForwardedForTest, AnUntrustedPeerIsTheClientWhateverItSays) {
    EXPECT_EQ(client("192.0.2.1", {"127.0.0.1"}), "192.0.2.1");
    EXPECT_EQ(client("192.0.2.1", {}), "192.0.2.1");
    EXPECT_EQ(forwarded_client(ip::make_address("127.0.0.1"),
                               std::vector<std::string_view>{"203.0.113.9"}, {})
                      .to_string(),
              "127.0.0.1")
            << "no trusted proxies: the header means nothing";
}

TEST_F(ForwardedForTest, AllTrustedGivesTheLeftmost) {
    EXPECT_EQ(client("127.0.0.1", {"10.0.0.5, 10.1.1.1"}), "10.0.0.5");
    EXPECT_EQ(client("127.0.0.1", {"127.0.0.1"}), "127.0.0.1");
    EXPECT_EQ(client("127.0.0.1", {}), "127.0.0.1") << "no header: the peer";
}

TEST_F(ForwardedForTest, GarbageIsIgnoredAndThePeerKept) {
    for (const char* field :
         {"unknown", "203.0.113.9, nonsense", "", " , ", "203.0.113.9,,", "999.1.1.1",
          "[203.0.113.9]", "2001:db8::1:80:", "fe80::1%eth0", "203.0.113.9:99999", "_hidden"}) {
        EXPECT_EQ(client("127.0.0.1", {field}), "127.0.0.1") << field;
    }
}

TEST_F(ForwardedForTest, WhatTheClientClaimedLeftOfItselfIsNotRead) {
    // Garbage a client sent ahead of the balancer's entry must not make it the peer (which,
    // for a proxy on this host, would be loopback).
    EXPECT_EQ(client("127.0.0.1", {"garbage, 203.0.113.9"}), "203.0.113.9");
    EXPECT_EQ(client("127.0.0.1", {"127.0.0.1, 203.0.113.9"}), "203.0.113.9");
}

TEST_F(ForwardedForTest, Ipv6WithAndWithoutBracketsAndPorts) {
    EXPECT_EQ(client("::1", {"2001:db8:1::7"}), "2001:db8:1::7");
    EXPECT_EQ(client("::1", {"[2001:db8:1::7]"}), "2001:db8:1::7");
    EXPECT_EQ(client("::1", {"[2001:db8:1::7]:4711"}), "2001:db8:1::7");
    EXPECT_EQ(client("::1", {"203.0.113.9:4711"}), "203.0.113.9");
    EXPECT_EQ(client("::1", {"2001:db8:1::7, 2001:db8:ff::3"}), "2001:db8:1::7")
            << "2001:db8:ff::/48 is a trusted proxy";
}

TEST_F(ForwardedForTest, V4MappedAddressesAreTheirIpv4Ones) {
    // A dual-stack socket sees the proxy at 127.0.0.1 as ::ffff:127.0.0.1: still trusted.
    EXPECT_EQ(client("::ffff:127.0.0.1", {"203.0.113.9"}), "203.0.113.9");
    EXPECT_EQ(client("127.0.0.1", {"::ffff:203.0.113.9"}), "203.0.113.9");
    EXPECT_EQ(client("127.0.0.1", {"203.0.113.9, ::ffff:10.1.1.1"}), "203.0.113.9")
            << "a trusted proxy written v4-mapped";
}

TEST_F(ForwardedForTest, FromARequest) {
    Request request{http::verb::get, "/", 11};
    request.insert("X-Forwarded-For", "198.51.100.1, 203.0.113.9");
    request.insert("x-forwarded-for", "10.1.1.1");
    EXPECT_EQ(forwarded_client(ip::make_address("127.0.0.1"), request, trusted_).to_string(),
              "203.0.113.9");
    EXPECT_EQ(forwarded_client(ip::make_address("192.0.2.1"), request, trusted_).to_string(),
              "192.0.2.1");
}

TEST_F(ForwardedForTest, TrustedProxiesAreTheListedBlocks) {
    EXPECT_TRUE(is_trusted_proxy(ip::make_address("10.255.0.1"), trusted_));
    EXPECT_TRUE(is_trusted_proxy(ip::make_address("::ffff:10.0.0.1"), trusted_));
    EXPECT_FALSE(is_trusted_proxy(ip::make_address("127.0.0.2"), trusted_));
    EXPECT_FALSE(is_trusted_proxy(ip::make_address("11.0.0.1"), trusted_));
    EXPECT_FALSE(is_trusted_proxy(ip::make_address("::2"), trusted_));
}

}  // namespace
}  // namespace herald::transport
