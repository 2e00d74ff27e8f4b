#include "cli/client_stream.hpp"  // first: proves the header is self-contained

#include <stdexcept>

#include <gtest/gtest.h>

namespace herald::cli {
namespace {

TEST(MakeEndpoint, HttpDefaultsToPort80WithoutTls) {
    const Endpoint endpoint = make_endpoint("http://example.test", "");
    EXPECT_EQ(endpoint.host, "example.test");
    EXPECT_EQ(endpoint.port, "80");
    EXPECT_EQ(endpoint.tls, nullptr);
}

TEST(MakeEndpoint, HttpsDefaultsToPort443WithTls) {
    const Endpoint endpoint = make_endpoint("https://example.test", "");
    EXPECT_EQ(endpoint.where(), "example.test:443");
    EXPECT_NE(endpoint.tls, nullptr);
}

TEST(MakeEndpoint, KeepsAnExplicitPort) {
    EXPECT_EQ(make_endpoint("https://127.0.0.1:8443", "").where(), "127.0.0.1:8443");
    EXPECT_EQ(make_endpoint("http://localhost:8080/", "").where(), "localhost:8080");
}

TEST(MakeEndpoint, RefusesOtherSchemesAndMissingHosts) {
    EXPECT_THROW(make_endpoint("ftp://example.test", ""), std::invalid_argument);
    EXPECT_THROW(make_endpoint("ws://example.test", ""), std::invalid_argument);
    EXPECT_THROW(make_endpoint("127.0.0.1:8080", ""), std::invalid_argument);
    EXPECT_THROW(make_endpoint("https://", ""), std::invalid_argument);
}

TEST(MakeEndpoint, RefusesACacertItCannotLoad) {
    EXPECT_THROW(make_endpoint("https://example.test", "/nonexistent/ca.pem"),
                 std::invalid_argument);
}

TEST(MakeEndpoint, LoadsNoCacertForHttp) {
    // Like curl: --cacert only matters for https.
    EXPECT_NO_THROW(make_endpoint("http://example.test", "/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace herald::cli
