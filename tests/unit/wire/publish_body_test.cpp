#include "wire/publish_body.hpp"

#include <gtest/gtest.h>

#include "wire/json_text.hpp"

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
    EXPECT_EQ(parse_ok(R"({"data":1.5})").data, "1.5");
    EXPECT_EQ(parse_ok(R"({"data":true})").data, "true");
    core::PublishRequest request = parse_ok(R"({"data":1,"event":"chat.x","id":"k-1"})");
    EXPECT_EQ(request.channel, "c");
    EXPECT_EQ(request.event, "chat.x");
    EXPECT_EQ(request.id, "k-1");
    EXPECT_EQ(parse_ok(R"({"data":1})").event, "message");
    EXPECT_FALSE(parse_ok(R"({"data":1})").id);
}

TEST(PublishBody, DataIsThePublishersOwnTextNeverRewritten) {
    EXPECT_EQ(parse_ok(R"({"data":1e999})").data, "1e999");
    EXPECT_EQ(parse_ok(R"({"data":-1E-999})").data, "-1E-999");
    EXPECT_EQ(parse_ok(R"({"data":123456789012345678901234567890})").data,
              "123456789012345678901234567890");
    EXPECT_EQ(parse_ok(R"({"data":{"n":[1.0, 2.50,  1e2]}})").data, R"({"n":[1.0,2.50,1e2]})");
    EXPECT_EQ(parse_ok("{ \"data\" :\n\t{ \"a b\" : \" x  \\\" } \" } }").data,
              R"({"a b":" x  \" } "})")
            << "whitespace inside strings and escaped quotes are kept";
    EXPECT_EQ(parse_ok(R"({"id":"k","data":"\u00e9\n","event":"e"})").data, R"("\u00e9\n")");
    EXPECT_EQ(parse_ok(R"({"data":1,"data":[2]})").data, "[2]") << "the last one, as Boost.JSON";
    EXPECT_EQ(parse_ok(R"({"d\u0061ta":7})").data, "7") << "an escaped member name";
    EXPECT_EQ(parse_ok(R"({"xdata":{"data":1},"data":"y"})").data, R"("y")");
}

TEST(JsonText, MemberText) {
    EXPECT_EQ(member_text(R"({"a":[1,{"b":"]}"}],"b":2})", "b"), "2");
    EXPECT_EQ(member_text(R"({"a":[1,{"b":"]}"}],"b":2})", "a"), R"([1,{"b":"]}"}])");
    EXPECT_EQ(member_text(R"( { } )", "a"), std::nullopt);
    EXPECT_EQ(member_text(R"({"a":true,"c":null})", "c"), "null");
    EXPECT_EQ(member_text(R"({"a":"\\","c":false})", "c"), "false") << "a string ending in \\";
    EXPECT_EQ(compact_json(" [ 1 , \"a  b\" ,{ } ] "), R"([1,"a  b",{}])");
    EXPECT_EQ(array_items_text(R"([ {"a":1e999} , "x,]" ,[ ],7])"),
              (std::vector<std::string>{R"({"a":1e999})", R"("x,]")", "[]", "7"}));
    EXPECT_EQ(array_items_text("[ ]"), std::vector<std::string>{});
    EXPECT_EQ(array_items_text("{}"), std::nullopt);
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
