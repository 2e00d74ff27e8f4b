#include "wire/webhook_json.hpp"

#include <gtest/gtest.h>

namespace herald::wire {
namespace {

TEST(WebhookJson, ParsesASpecWithOptionalFields) {
    auto parsed = parse_webhook_spec(
            R"({"url":"http://h/x","events":["message.published"],"channels":["a:*"],"secret":"whsec_k"})");
    ASSERT_TRUE(std::holds_alternative<core::WebhookSpec>(parsed));
    const auto& spec = std::get<core::WebhookSpec>(parsed);
    EXPECT_EQ(spec.url, "http://h/x");
    EXPECT_EQ(spec.events, (std::vector<std::string>{"message.published"}));
    EXPECT_EQ(spec.channels, (std::vector<std::string>{"a:*"}));
    EXPECT_EQ(spec.secret, "whsec_k");
    auto minimal = parse_webhook_spec(R"({"url":"http://h/","events":[]})");
    ASSERT_TRUE(std::holds_alternative<core::WebhookSpec>(minimal));
    EXPECT_FALSE(std::get<core::WebhookSpec>(minimal).secret);
}

TEST(WebhookJson, RefusesWrongShapes) {
    for (const char* body :
         {"[]", "{", R"({"events":["x"]})", R"({"url":"u"})", R"({"url":1,"events":["x"]})",
          R"({"url":"u","events":"x"})", R"({"url":"u","events":[1]})",
          R"({"url":"u","events":["x"],"secret":2})",
          R"({"url":"u","events":["x"],"other":true})"}) {
        EXPECT_TRUE(std::holds_alternative<BodyError>(parse_webhook_spec(body))) << body;
    }
}

TEST(WebhookJson, ShowsTheSecretOnlyWhenGiven) {
    core::WebhookView view{"wh_1", "http://h/", {"message.published"}, {}, true, "api", 5, {}};
    EXPECT_EQ(webhook_json(view),
              R"({"id":"wh_1","url":"http://h/","events":["message.published"],"channels":[],)"
              R"("enabled":true,"source":"api","created":5})");
    view.secret = "whsec_k";
    EXPECT_NE(webhook_json(view).find(R"("secret":"whsec_k")"), std::string::npos);
}

TEST(WebhookJson, DeliveriesUseNullForMissingStatusAndError) {
    std::vector<storage::DeliveryAttempt> attempts{
            {"wh_1", "evt_1", "message.published", 2, 0, "Connection refused", 9, "retrying"},
            {"wh_1", "evt_0", "message.published", 1, 200, "", 8, "delivered"}};
    EXPECT_EQ(deliveries_json("wh_1", attempts),
              R"({"webhook":"wh_1","deliveries":[)"
              R"({"event_id":"evt_1","type":"message.published","attempt":2,"status":null,)"
              R"("error":"Connection refused","outcome":"retrying","time":9},)"
              R"({"event_id":"evt_0","type":"message.published","attempt":1,"status":200,)"
              R"("error":null,"outcome":"delivered","time":8}]})");
}

}  // namespace
}  // namespace herald::wire
