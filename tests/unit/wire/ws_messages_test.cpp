#include "wire/ws_messages.hpp"

#include <gtest/gtest.h>

namespace herald::wire {
namespace {

WsClientFrame accepted(std::string_view text) {
    auto parsed = parse_ws_frame(text);
    EXPECT_TRUE(std::holds_alternative<WsClientFrame>(parsed)) << text;
    return std::holds_alternative<WsClientFrame>(parsed) ? std::get<WsClientFrame>(parsed)
                                                         : WsClientFrame{};
}

WsFrameError refused(std::string_view text) {
    auto parsed = parse_ws_frame(text);
    EXPECT_TRUE(std::holds_alternative<WsFrameError>(parsed)) << text;
    return std::holds_alternative<WsFrameError>(parsed) ? std::get<WsFrameError>(parsed)
                                                        : WsFrameError{};
}

TEST(WsMessages, RefIsAnIntegerWithinTwoPow53EchoedAsSent) {
    EXPECT_EQ(accepted(R"({"type":"ping","ref":7})").ref, "7");
    EXPECT_EQ(accepted(R"({"type":"ping","ref":-9007199254740991})").ref, "-9007199254740991");
    EXPECT_EQ(accepted(R"({"type":"ping","ref":9007199254740991})").ref, "9007199254740991");
    EXPECT_EQ(accepted(R"({"type":"ping"})").ref, std::nullopt);
    for (std::string_view ref : {"1e999", "9007199254740992", "-9007199254740992", "1.5", "1e2",
                                 "18446744073709551615", "\"7\"", "null", "[1]"}) {
        const WsFrameError error =
                refused(std::string(R"({"type":"ping","ref":)") + std::string(ref) + "}");
        EXPECT_EQ(error.code, ApiError::bad_request) << ref;
        EXPECT_EQ(error.ref, std::nullopt) << "a bad ref is not echoed: " << ref;
    }
    EXPECT_EQ(ws_pong(std::string("-3")), R"({"type":"pong","ref":-3})");
}

TEST(WsMessages, PublishDataIsThePublishersOwnText) {
    const WsClientFrame frame = accepted(
            R"({"type":"publish","ref":1,"channel":"c","data":{"big":123456789012345678901234567890, "inf":1e999},"id":"k"})");
    EXPECT_EQ(frame.type, WsClientFrame::Type::publish);
    EXPECT_EQ(frame.publish.data, R"({"big":123456789012345678901234567890,"inf":1e999})");
    EXPECT_EQ(frame.publish.id, "k");
    EXPECT_EQ(refused(R"({"type":"publish","channel":"c","ref":2})").ref, "2") << "no data";
}

}  // namespace
}  // namespace herald::wire
