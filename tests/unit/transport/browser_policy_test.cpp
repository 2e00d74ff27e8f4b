#include "transport/http/browser_policy.hpp"

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

TEST(BrowserPolicy, SameOriginComparesTheAuthorityWithHost) {
    EXPECT_TRUE(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
    EXPECT_TRUE(same_origin("https://Herald.Example", "herald.example"));
    EXPECT_FALSE(same_origin("https://evil.example", "127.0.0.1:8080"));
    EXPECT_FALSE(same_origin("null", "127.0.0.1:8080"));
    EXPECT_FALSE(same_origin("http://a", ""));
}

TEST(BrowserPolicy, OriginAllowed) {
    EXPECT_TRUE(origin_allowed({}, "", "h")) << "not a browser";
    EXPECT_TRUE(origin_allowed({}, "http://h", "h"));
    EXPECT_FALSE(origin_allowed({}, "http://evil", "h"));
    EXPECT_TRUE(origin_allowed({"*"}, "http://evil", "h"));
    EXPECT_TRUE(origin_allowed({"http://app"}, "http://app", "h"));
}

TEST(BrowserPolicy, LoopbackHosts) {
    for (std::string_view host : {"localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:80",
                                  "127.9.9.9:1", "[::1]", "[::1]:8080"}) {
        EXPECT_TRUE(is_loopback_host(host)) << host;
    }
    for (std::string_view host : {"", "evil.example", "evil.example:8080", "localhost.evil",
                                  "10.0.0.1", "[::2]:80", "0.0.0.0", "2130706433"}) {
        EXPECT_FALSE(is_loopback_host(host)) << host;
    }
}

TEST(BrowserPolicy, ListedHosts) {
    const std::vector<std::string> hosts{"herald.example", "app.example:8443", "[2001:db8::1]"};
    EXPECT_TRUE(host_listed(hosts, "herald.example"));
    EXPECT_TRUE(host_listed(hosts, "HERALD.example:8080")) << "an entry without port: any port";
    EXPECT_TRUE(host_listed(hosts, "app.example:8443"));
    EXPECT_FALSE(host_listed(hosts, "app.example:8080"));
    EXPECT_FALSE(host_listed(hosts, "app.example"));
    EXPECT_TRUE(host_listed(hosts, "[2001:db8::1]:80"));
    EXPECT_FALSE(host_listed(hosts, "evil.example"));
    EXPECT_FALSE(host_listed({}, "herald.example"));
}

}  // namespace
}  // namespace herald::transport
