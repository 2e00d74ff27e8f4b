#include "wire/json_responses.hpp"

#include <gtest/gtest.h>

#include "wire/api_error.hpp"

namespace herald::wire {
namespace {

core::MessagePtr message(core::Seq seq) {
    return std::make_shared<const core::Message>(
            storage::StoredMessage{"c", seq, "i", "message", "1", 5});
}

TEST(JsonResponses, PublishReply) {
    EXPECT_EQ(publish_reply({core::PublishStatus::created, "room:1", 3, "m_x", 99}),
              R"({"channel":"room:1","seq":3,"id":"m_x","time":99})");
}

TEST(JsonResponses, ReadReplyWithAndWithoutGap) {
    EXPECT_EQ(read_reply("c", {}, 0, std::nullopt),
              R"({"channel":"c","messages":[],"last_seq":0})");
    EXPECT_EQ(read_reply("c", {message(8), message(9)}, 12, core::Gap{3, 8}),
              R"({"channel":"c","messages":[)"
              R"({"channel":"c","seq":8,"id":"i","event":"message","data":1,"time":5},)"
              R"({"channel":"c","seq":9,"id":"i","event":"message","data":1,"time":5}],)"
              R"("last_seq":12,"gap":{"type":"gap","channel":"c","after":3,"first_seq":8}})");
}

TEST(JsonResponses, ChannelInfoAndList) {
    EXPECT_EQ(channel_info_reply({"c", 2, 5, 7}),
              R"({"channel":"c","first_seq":2,"last_seq":5,"subscribers":7})");
    EXPECT_EQ(channel_list_reply({}), R"({"channels":[]})");
    EXPECT_EQ(channel_list_reply({{"a", 1, 2, 0}, {"b", 0, 0, 3}}),
              R"({"channels":[{"channel":"a","last_seq":2,"subscribers":0},)"
              R"({"channel":"b","last_seq":0,"subscribers":3}]})");
}

TEST(ApiError, BodyShapeAndCodes) {
    EXPECT_EQ(error_body(ApiError::too_large, "body is \"big\""),
              R"({"error":{"code":"too_large","message":"body is \"big\""}})");
    EXPECT_EQ(code_of(ApiError::unsupported_media_type), "unsupported_media_type");
    EXPECT_EQ(code_of(ApiError::method_not_allowed), "method_not_allowed");
    EXPECT_EQ(code_of(ApiError::rate_limited), "rate_limited");
}

}  // namespace
}  // namespace herald::wire
