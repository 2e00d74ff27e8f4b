#include "webhook/delivery.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/message.hpp"
#include "core/presence.hpp"
#include "util/message_id.hpp"
#include "webhook/signature.hpp"

namespace herald::webhook {
namespace {

const Secret kSecret = std::get<Secret>(Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));

core::Message message() {
    return core::Message(storage::StoredMessage{
            .channel = "room:42",
            .seq = 17,
            .id = "m_01HX",
            .event = "message",
            .data = R"({"text":"hi \"there\"","n":[1,2.50,{}]})",
            .time = 1763850000123,
    });
}

TEST(Iso8601, UtcWithThreeFractionDigits) {
    EXPECT_EQ(iso8601_utc_millis(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(iso8601_utc_millis(1763850000123), "2025-11-22T22:20:00.123Z");
    EXPECT_EQ(iso8601_utc_millis(951782400000), "2000-02-29T00:00:00.000Z");
    EXPECT_EQ(iso8601_utc_millis(1709164800999), "2024-02-29T00:00:00.999Z");
    EXPECT_EQ(iso8601_utc_millis(4102444799999), "2099-12-31T23:59:59.999Z");
    EXPECT_EQ(iso8601_utc_millis(-1), "1969-12-31T23:59:59.999Z") << "floors, never '-0.001'";
}

TEST(DeliveryBody, WrapsTypeTimestampAndRawData) {
    EXPECT_EQ(
            delivery_body(EventType::channel_occupied, 0, R"({"channel":"a"})"),
            R"({"type":"channel.occupied","timestamp":"1970-01-01T00:00:00.000Z","data":{"channel":"a"}})");
}

TEST(DeliveryBody, SplicesTheMessageJsonByteForByte) {
    const core::Message m = message();
    const std::string body = message_published_body(m);
    EXPECT_EQ(body,
              R"({"type":"message.published","timestamp":"2025-11-22T22:20:00.123Z","data":)" +
                      m.json() + "}");
    EXPECT_NE(body.find(R"("n":[1,2.50,{}])"), std::string::npos) << "2.50 is not re-encoded";
    const auto parsed = boost::json::parse(body).as_object();
    EXPECT_EQ(parsed.at("data").at("seq").as_int64(), 17);
    EXPECT_EQ(parsed.at("data").at("channel").as_string(), "room:42");
    EXPECT_EQ(parsed.at("data").at("data").at("text").as_string(), "hi \"there\"");
}

TEST(EventData, ChannelEventsNameTheChannel) {
    EXPECT_EQ(channel_event_data("room:42"), R"({"channel":"room:42"})");
    EXPECT_EQ(boost::json::parse(channel_event_data("a\"b")).at("channel").as_string(), "a\"b")
            << "escaped, although valid channel names need no escaping";
}

TEST(EventData, PresenceEventsNameChannelClientAndUser) {
    core::PresenceChange change{.kind = core::PresenceChange::Kind::join,
                                .channel = "room:1",
                                .client = "c_1",
                                .user = "alice"};
    EXPECT_EQ(presence_event_data(change), R"({"channel":"room:1","client":"c_1","user":"alice"})");
    change.user.reset();
    EXPECT_EQ(presence_event_data(change), R"({"channel":"room:1","client":"c_1","user":null})");
}

TEST(WebhookId, NewIdsAreValidUniqueAndTimeOrdered) {
    MessageIdGenerator ids;
    const std::string early = new_webhook_id(ids, 1000);
    const std::string late = new_webhook_id(ids, 2000);
    EXPECT_TRUE(early.starts_with("evt_"));
    EXPECT_EQ(early.size(), 30u);
    EXPECT_TRUE(is_valid_webhook_id(early));
    EXPECT_LT(early, late);
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i)
        seen.insert(new_webhook_id(ids, 1000));
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(WebhookId, RefusesDotsAndOtherSeparators) {
    EXPECT_TRUE(is_valid_webhook_id("msg_p5jXN8AQM9LWM0D4loKWxJek"));
    EXPECT_TRUE(is_valid_webhook_id(std::string(128, 'a')));
    for (std::string_view bad : {"", "a.b", "a b", "a,b", "a/b", "\xc3\xa9"}) {
        EXPECT_FALSE(is_valid_webhook_id(bad)) << bad;
    }
    EXPECT_FALSE(is_valid_webhook_id(std::string(129, 'a')));
}

TEST(DeliveryHeaders, CarryIdTimestampAndSignatureOfTheBody) {
    const std::string body = R"({"test": 2432232314})";
    const DeliveryHeaders headers =
            delivery_headers(kSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
    EXPECT_EQ(headers.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
    EXPECT_EQ(headers.timestamp, "1614265330");
    EXPECT_EQ(headers.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    const auto fields = headers.fields();
    EXPECT_EQ(fields[0].first, "webhook-id");
    EXPECT_EQ(fields[0].second, headers.id);
    EXPECT_EQ(fields[1].first, "webhook-timestamp");
    EXPECT_EQ(fields[1].second, "1614265330");
    EXPECT_EQ(fields[2].first, "webhook-signature");
    EXPECT_EQ(fields[2].second, headers.signature);
    EXPECT_EQ(fields[3].first, "content-type");
    EXPECT_EQ(fields[3].second, "application/json");
}

TEST(DeliveryHeaders, ARetryKeepsTheIdAndSignsTheNewTimestamp) {
    const std::string body = message_published_body(message());
    const auto first = delivery_headers(kSecret, "evt_1", 1763850000, body);
    const auto retry = delivery_headers(kSecret, "evt_1", 1763850005, body);
    EXPECT_EQ(first.id, retry.id);
    EXPECT_NE(first.signature, retry.signature);
    EXPECT_EQ(retry.signature, sign(kSecret, "evt_1", 1763850005, body));
}

}  // namespace
}  // namespace herald::webhook
