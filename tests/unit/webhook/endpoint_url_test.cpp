#include "webhook/endpoint_url.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

EndpointUrl url(std::string_view text) {
    auto parsed = parse_endpoint_url(text);
    if (auto* error = std::get_if<InvalidInput>(&parsed)) {
        ADD_FAILURE() << text << ": " << error->message;
        return {};
    }
    return std::get<EndpointUrl>(std::move(parsed));
}

std::string error_of(std::string_view text) {
    auto parsed = parse_endpoint_url(text);
    auto* error = std::get_if<InvalidInput>(&parsed);
    return error ? error->message : "(accepted)";
}

TEST(EndpointUrl, HttpsWithPathAndQuery) {
    const EndpointUrl u = url("https://example.com/hooks/herald?x=1&y=%20");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "example.com");
    EXPECT_FALSE(u.host_is_ip);
    EXPECT_EQ(u.port, 443);
    EXPECT_EQ(u.target, "/hooks/herald?x=1&y=%20") << "stays encoded: it goes on the wire as is";
    EXPECT_EQ(u.host_header, "example.com");
    EXPECT_EQ(u.text(), "https://example.com/hooks/herald?x=1&y=%20");
}

TEST(EndpointUrl, HttpWithPortAndNoPath) {
    const EndpointUrl u = url("http://127.0.0.1:8081");
    EXPECT_FALSE(u.tls);
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_TRUE(u.host_is_ip);
    EXPECT_EQ(u.port, 8081);
    EXPECT_EQ(u.target, "/");
    EXPECT_EQ(u.host_header, "127.0.0.1:8081");
    EXPECT_EQ(u.text(), "http://127.0.0.1:8081/");
}

TEST(EndpointUrl, QueryWithoutPathGetsASlash) {
    EXPECT_EQ(url("http://h?a=b").target, "/?a=b");
}

TEST(EndpointUrl, DefaultPortsAndExplicitOnes) {
    EXPECT_EQ(url("http://h/").port, 80);
    EXPECT_EQ(url("http://h:/").port, 80) << "an empty port is the default (RFC 3986)";
    EXPECT_EQ(url("http://h:80/").host_header, "h") << "a default port is left out of Host";
    EXPECT_EQ(url("https://h:443/").host_header, "h");
    EXPECT_EQ(url("https://h:80/").host_header, "h:80");
    EXPECT_EQ(url("http://h:65535/").port, 65535);
    EXPECT_EQ(url("http://h:1/").port, 1);
}

TEST(EndpointUrl, Ipv6LiteralLosesItsBracketsForConnectingOnly) {
    const EndpointUrl u = url("http://[::1]:9000/x");
    EXPECT_EQ(u.host, "::1");
    EXPECT_TRUE(u.host_is_ip);
    EXPECT_EQ(u.host_header, "[::1]:9000");
    EXPECT_EQ(u.text(), "http://[::1]:9000/x");
}

TEST(EndpointUrl, SchemeIsCaseInsensitive) {
    EXPECT_TRUE(url("HTTPS://Example.com/").tls);
    EXPECT_EQ(url("HTTP://h/").text(), "http://h/");
}

TEST(EndpointUrl, RefusesOtherSchemes) {
    for (std::string_view bad :
         {"ftp://h/", "ws://h/", "file:///etc/passwd", "mailto:a@b", "httpx://h/"}) {
        EXPECT_EQ(error_of(bad), "url must start with http:// or https://") << bad;
    }
}

TEST(EndpointUrl, RefusesWhatIsNotAnAbsoluteUrl) {
    for (std::string_view bad : {"", "example.com/hooks", "/hooks", "http://h/a b", "http://h/\n",
                                 "http://[::1/", "://h/"}) {
        EXPECT_EQ(error_of(bad), "url is not a valid absolute URL") << bad;
    }
}

TEST(EndpointUrl, RefusesAMissingHost) {
    for (std::string_view bad :
         {"http:///path", "http://", "https:/path", "http:path", "http://:80/"}) {
        EXPECT_EQ(error_of(bad), "url needs a host") << bad;
    }
}

TEST(EndpointUrl, RefusesCredentialsFragmentsAndBadPorts) {
    EXPECT_EQ(error_of("https://user:pw@h/"), "url must not carry credentials (user@host)");
    EXPECT_EQ(error_of("https://user@h/"), "url must not carry credentials (user@host)");
    EXPECT_EQ(error_of("https://h/x#frag"), "url must not have a fragment (#...)");
    for (std::string_view bad :
         {"http://h:0/", "http://h:65536/", "http://h:99999999999999999999/"}) {
        EXPECT_EQ(error_of(bad), "url port must be 1 to 65535") << bad;
    }
    EXPECT_EQ(error_of("http://[v1.x]/"), "url host must be a name, an IPv4 or an IPv6 address");
}

TEST(EndpointUrl, RefusesOverlongUrls) {
    const std::string path(kMaxEndpointUrlBytes, 'a');
    EXPECT_EQ(error_of("http://h/" + path), "url is longer than 2048 bytes");
    EXPECT_EQ(error_of("http://h/" + path.substr(0, kMaxEndpointUrlBytes - 9)), "(accepted)");
}

}  // namespace
}  // namespace herald::webhook
