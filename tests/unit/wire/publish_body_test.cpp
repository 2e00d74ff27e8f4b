#include "wire/publish_body.hpp"

#include <gtest/gtest.h>

namespace herald::wire {
namespace {

core::PublishRequest parse_ok(std::string_view body) {
    auto parsed = parse_publish_body(body, "c");
    EXPECT_TRUE(std::holds_alternative<core::PublishRequest>(parsed)) << body;
    return std::holds_alternative<core::PublishRequest>(parsed)
                   ? std::get<core::PublishRequest>(parsed)
                   : core::PublishRequest{};
}

bool refused(std::string_view body) {
    return std::holds_alternative<BodyError>(parse_publish_body(body, "c"));
}

TEST(PublishBody, DataOfEveryType) {
    EXPECT_EQ(parse_ok(R"({"data":{"a":[1,2]}})").data, R"({"a":[1,2]})");
    EXPECT_EQ(parse_ok(R"({"data":null})").data, "null");
    EXPECT_EQ(parse_ok(R"({"data":"text"})").data, R"("text")");
    EXPECT_EQ(parse_ok(R"({"data":1.5})").data, "1.5E0");
    EXPECT_EQ(parse_ok(R"({"data":true})").data, "true");
    core::PublishRequest request = parse_ok(R"({"data":1,"event":"chat.x","id":"k-1"})");
    EXPECT_EQ(request.channel, "c");
    EXPECT_EQ(request.event, "chat.x");
    EXPECT_EQ(request.id, "k-1");
    EXPECT_EQ(parse_ok(R"({"data":1})").event, "message");
    EXPECT_FALSE(parse_ok(R"({"data":1})").id);
}

TEST(PublishBody, Refusals) {
    for (const char* body :
         {"", "{", "[]", "1", R"("x")", "{}", R"({"event":"e"})", R"({"data":1,"event":""})",
          R"({"data":1,"event":"a b"})", R"({"data":1,"event":7})", R"({"data":1,"id":""})",
          R"({"data":1,"id":5})", R"({"data":1,"id":"a b"})", R"({"data":1} trailing)"}) {
        EXPECT_TRUE(refused(body)) << body;
    }
}

}  // namespace
}  // namespace herald::wire
