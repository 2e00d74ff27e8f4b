#include "core/message.hpp"

#include <gtest/gtest.h>

namespace herald::core {
namespace {

TEST(Message, JsonIsTheApiObject) {
    Message message(
            storage::StoredMessage{"room:1", 17, "m_1", "message", R"({"text":"hi"})", 1234});
    EXPECT_EQ(
            message.json(),
            R"({"channel":"room:1","seq":17,"id":"m_1","event":"message","data":{"text":"hi"},"time":1234})");
}

TEST(Message, JsonEscapesTheId) {
    Message message(storage::StoredMessage{"c", 1, "q\"b\\s\x01", "e", "null", 0});
    EXPECT_EQ(message.json(),
              R"({"channel":"c","seq":1,"id":"q\"b\\s\u0001","event":"e","data":null,"time":0})");
}

TEST(AppendJsonString, EscapesControlCharacters) {
    std::string out;
    append_json_string(out, "a\nb\tc\rd\"e\\f\x1f");
    EXPECT_EQ(out, R"("a\nb\tc\rd\"e\\f\u001f")");
}

}  // namespace
}  // namespace herald::core
