#include "transport/http/request_target.hpp"

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

TEST(RequestTarget, DecodesSegmentsAndQuery) {
    auto target = parse_request_target("/v1/channels/room%3A42/messages?after=5&limit=10&x=a%20b");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->segments,
              (std::vector<std::string>{"v1", "channels", "room:42", "messages"}));
    EXPECT_EQ(target->param("after"), "5");
    EXPECT_EQ(target->param("x"), "a b");
    EXPECT_FALSE(target->param("wait"));
    auto root = parse_request_target("/");
    ASSERT_TRUE(root);
    EXPECT_TRUE(root->segments.empty() || root->segments == std::vector<std::string>{""});
    EXPECT_FALSE(parse_request_target("no-slash"));
    EXPECT_FALSE(parse_request_target("/bad%zz"));
}

TEST(RequestTarget, AbsoluteFormIsAcceptedAsRfc9112Asks) {
    auto target = parse_request_target("http://x.example:8080/v1/channels/c/messages?after=3");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->segments, (std::vector<std::string>{"v1", "channels", "c", "messages"}));
    EXPECT_EQ(target->param("after"), "3");
    ASSERT_TRUE(parse_request_target("HTTPS://x/healthz"));
    EXPECT_EQ(parse_request_target("https://x/healthz")->segments,
              std::vector<std::string>{"healthz"});
    EXPECT_FALSE(parse_request_target("ftp://x/healthz"));
    EXPECT_FALSE(parse_request_target("http://x/bad%zz"));
}

TEST(RequestTarget, FirstValueWins) {
    auto target = parse_request_target("/a?after=1&after=2");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->param("after"), "1");
}

TEST(ReadNumber, NonNegativeIntegersOnly) {
    auto target = parse_request_target(
            "/a?ok=42&zero=0&neg=-1&frac=1.5&empty=&word=abc&huge=99999999999999999999&plus=%2B1");
    ASSERT_TRUE(target);
    std::uint64_t value = 7;
    EXPECT_EQ(read_number(*target, "ok", value), NumberParam::valid);
    EXPECT_EQ(value, 42u);
    EXPECT_EQ(read_number(*target, "zero", value), NumberParam::valid);
    EXPECT_EQ(value, 0u);
    EXPECT_EQ(read_number(*target, "missing", value), NumberParam::absent);
    for (const char* bad : {"neg", "frac", "empty", "word", "huge", "plus"}) {
        EXPECT_EQ(read_number(*target, bad, value), NumberParam::invalid) << bad;
    }
}

}  // namespace
}  // namespace herald::transport
