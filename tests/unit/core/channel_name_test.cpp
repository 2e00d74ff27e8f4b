#include "core/channel_name.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald::core {
namespace {

TEST(ChannelName, AllowedCharactersAndLength) {
    EXPECT_TRUE(is_valid_channel("room:42"));
    EXPECT_TRUE(is_valid_channel("a.b_c:d@e-f"));
    EXPECT_TRUE(is_valid_channel("x"));
    EXPECT_TRUE(is_valid_channel(std::string(200, 'x')));
    EXPECT_FALSE(is_valid_channel(""));
    EXPECT_FALSE(is_valid_channel(std::string(201, 'x')));
    for (const char* bad : {"a b", "a/b", "a*b", "café", "a\nb", "a%b", "a#b", "a?b"}) {
        EXPECT_FALSE(is_valid_channel(bad)) << bad;
    }
}

TEST(EventName, AllowedCharactersAndLength) {
    EXPECT_TRUE(is_valid_event("message"));
    EXPECT_TRUE(is_valid_event("chat.message:v1-x_y"));
    EXPECT_TRUE(is_valid_event(std::string(64, 'e')));
    EXPECT_FALSE(is_valid_event(std::string(65, 'e')));
    EXPECT_FALSE(is_valid_event(""));
    EXPECT_FALSE(is_valid_event("a@b")) << "@ is allowed in channels, not events";
    EXPECT_FALSE(is_valid_event("a b"));
}

TEST(MessageId, PrintableWithoutSpaces) {
    EXPECT_TRUE(is_valid_message_id("order-17/retry#2"));
    EXPECT_TRUE(is_valid_message_id(std::string(200, 'i')));
    EXPECT_FALSE(is_valid_message_id(std::string(201, 'i')));
    EXPECT_FALSE(is_valid_message_id(""));
    EXPECT_FALSE(is_valid_message_id("a b"));
    EXPECT_FALSE(is_valid_message_id("tab\there"));
    EXPECT_FALSE(is_valid_message_id("é"));
}

}  // namespace
}  // namespace herald::core
