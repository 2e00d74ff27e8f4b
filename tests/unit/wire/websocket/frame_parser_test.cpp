#include "wire/websocket/frame_parser.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "client_frames.hpp"

namespace herald::wire::websocket {
namespace {

using testing::bytes;
using testing::client_frame;
using testing::error_event;
using testing::Event;
using testing::feed;
using testing::parse;
using testing::raw_frame;
using testing::text;
using testing::text_event;
using Events = std::vector<Event>;

Event control_event(ParseStatus status, std::string payload) {
    return {status, std::move(payload), CloseCode::normal_closure, false};
}
Event close_event(CloseCode code, std::string reason = {}) {
    return {ParseStatus::close, std::move(reason), code, false};
}
std::string continuation(std::string_view payload, bool fin) {
    return client_frame(Opcode::continuation, payload, {.fin = fin, .compressed = false});
}
std::string first_fragment(std::string_view payload) {
    return client_frame(Opcode::text, payload, {.fin = false, .compressed = false});
}
std::string close_frame(std::uint16_t code, std::string_view reason = {}) {
    return client_frame(Opcode::close, bytes({code >> 8, code & 0xFF}) + std::string(reason));
}

TEST(FrameParser, Rfc6455MaskedHello) {
    EXPECT_EQ(parse(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58})),
              Events{text_event("Hello")});
    EXPECT_EQ(parse(bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58})),
              Events{control_event(ParseStatus::pong, "Hello")});
}

TEST(FrameParser, WholeFrameIsHandedOutInPlace) {
    std::string wire = text("in place") + text("second");
    std::span<char> input(wire);
    FrameParser parser;
    const ParseEvent first = parser.parse(input);
    ASSERT_EQ(first.status, ParseStatus::text);
    EXPECT_EQ(first.payload, "in place");
    EXPECT_GE(first.payload.data(), wire.data());  // a view into the caller's buffer: no copy
    EXPECT_LT(first.payload.data(), wire.data() + wire.size());
    EXPECT_EQ(input.size(), text("second").size());  // stopped right after the first frame
    const ParseEvent second = parser.parse(input);
    EXPECT_EQ(second.payload, "second");
    EXPECT_TRUE(input.empty());
    EXPECT_EQ(parser.parse(input).status, ParseStatus::need_more);
}

TEST(FrameParser, EmptyMessagesAndControlFrames) {
    EXPECT_EQ(parse(text("")), Events{text_event("")});
    EXPECT_EQ(parse(client_frame(Opcode::ping, "")), Events{control_event(ParseStatus::ping, "")});
    EXPECT_EQ(parse(first_fragment("") + continuation("", true)), Events{text_event("")});
}

TEST(FrameParser, LengthEncodingsAroundEveryBoundary) {
    for (const std::size_t size : {125U, 126U, 127U, 65535U, 65536U, 70000U}) {
        const std::string payload(size, 'x');
        EXPECT_EQ(parse(text(payload)), Events{text_event(payload)}) << size;
        EXPECT_EQ(parse(text(payload), {}, 1000), Events{text_event(payload)}) << size;
    }
}

TEST(FrameParser, NonMinimalLengthsAreAccepted) {
    // RFC 6455 asks for the minimal encoding, but a lenient reader loses nothing by taking more.
    EXPECT_EQ(parse(raw_frame(0x81, 126, bytes({0, 5}), "Hello")), Events{text_event("Hello")});
    EXPECT_EQ(parse(raw_frame(0x81, 127, bytes({0, 0, 0, 0, 0, 0, 0, 5}), "Hello")),
              Events{text_event("Hello")});
}

TEST(FrameParser, AssemblesFragments) {
    EXPECT_EQ(parse(first_fragment("Hel") + continuation("lo", true)), Events{text_event("Hello")});
    EXPECT_EQ(parse(first_fragment("a") + continuation("", false) + continuation("b", false) +
                    continuation("c", true)),
              Events{text_event("abc")});
}

TEST(FrameParser, Utf8SequenceSplitAcrossFragments) {
    const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
    for (std::size_t cut = 0; cut <= kosme.size(); ++cut) {
        EXPECT_EQ(
                parse(first_fragment(kosme.substr(0, cut)) + continuation(kosme.substr(cut), true)),
                Events{text_event(kosme)})
                << cut;
    }
}

TEST(FrameParser, ControlFramesBetweenFragmentsArriveAtOnce) {
    const std::string wire = first_fragment("Hel") + client_frame(Opcode::ping, "p1") +
                             continuation("l", false) + client_frame(Opcode::pong, "p2") +
                             continuation("o", true);
    EXPECT_EQ(parse(wire), (Events{control_event(ParseStatus::ping, "p1"),
                                   control_event(ParseStatus::pong, "p2"), text_event("Hello")}));
    // A close in the middle ends it all: the message is never delivered.
    EXPECT_EQ(parse(first_fragment("Hel") + close_frame(1001) + continuation("lo", true)),
              Events{close_event(CloseCode::going_away)});
}

TEST(FrameParser, ManyFramesInOneBuffer) {
    std::string wire;
    Events expected;
    for (int i = 0; i < 200; ++i) {
        wire += text(std::to_string(i));
        expected.push_back(text_event(std::to_string(i)));
    }
    EXPECT_EQ(parse(wire), expected);
}

/// A conversation touching every path: lengths of each size, fragments split anywhere,
/// control frames between fragments, a close at the end.
std::string conversation() {
    return text("first") + client_frame(Opcode::ping, std::string(125, 'p')) +
           first_fragment("\xce\xba\xe1\xbd") + client_frame(Opcode::pong, "") +
           continuation("\xb9\xcf\x83\xce\xbc\xce\xb5", true) + text(std::string(300, 'm')) +
           text(std::string(70000, 'l')) + text("") + close_frame(1000, "bye") + text("ignored");
}

Events conversation_events() {
    return {text_event("first"),
            control_event(ParseStatus::ping, std::string(125, 'p')),
            control_event(ParseStatus::pong, ""),
            text_event("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
            text_event(std::string(300, 'm')),
            text_event(std::string(70000, 'l')),
            text_event(""),
            close_event(CloseCode::normal_closure, "bye")};
}

class FrameParserPieces : public ::testing::TestWithParam<std::size_t> {};

TEST_P(FrameParserPieces, SameEventsWhateverTheReadSizes) {
    EXPECT_EQ(parse(conversation(), {}, GetParam()), conversation_events());
}

INSTANTIATE_TEST_SUITE_P(ReadSizes, FrameParserPieces,
                         ::testing::Values(1, 2, 3, 5, 7, 13, 126, 4096, SIZE_MAX));

TEST(FrameParser, ValidCloseCodes) {
    for (const int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                           3000, 3999, 4000, 4999}) {
        const auto expected = static_cast<CloseCode>(code);
        EXPECT_EQ(parse(close_frame(code)), Events{close_event(expected)}) << code;
    }
    EXPECT_EQ(parse(client_frame(Opcode::close, "")),
              Events{close_event(CloseCode::no_status_received)});
    const std::string reason(123, 'r');  // the most a close payload holds
    EXPECT_EQ(parse(close_frame(1000, reason)),
              Events{close_event(CloseCode::normal_closure, reason)});
    EXPECT_EQ(parse(close_frame(4000, "\xce\xba\xe1\xbd\xb9")),
              Events{close_event(static_cast<CloseCode>(4000), "\xce\xba\xe1\xbd\xb9")});
}

TEST(FrameParser, FinishedAfterCloseAndDiscardsTheRest) {
    FrameParser parser;
    EXPECT_EQ(feed(parser, close_frame(1000) + text("late")),
              Events{close_event(CloseCode::normal_closure)});
    EXPECT_TRUE(parser.finished());
    std::string more = text("later");
    std::span<char> input(more);
    EXPECT_EQ(parser.parse(input).status, ParseStatus::need_more);
    EXPECT_TRUE(input.empty());
}

TEST(FrameParser, CompressedMessagesWhenDeflateNegotiated) {
    const FrameParserOptions deflate{.max_message_bytes = kMiB, .deflate = true};
    const FrameFlags compressed{.fin = true, .compressed = true};
    // Deflated bytes are not UTF-8: left for the caller to check once inflated.
    const std::string hello = bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});  // RFC 7692
    const Event expected{ParseStatus::text, hello, CloseCode::normal_closure, true};
    EXPECT_EQ(parse(client_frame(Opcode::text, hello, compressed), deflate), Events{expected});
    // RSV1 on the first frame marks the whole message; continuations carry none.
    const std::string fragmented =
            client_frame(Opcode::text, hello.substr(0, 3), {.fin = false, .compressed = true}) +
            client_frame(Opcode::ping, "") + continuation(hello.substr(3), true);
    EXPECT_EQ(parse(fragmented, deflate, 3),
              (Events{control_event(ParseStatus::ping, ""), expected}));
    // An uncompressed message on a deflate connection is still checked as text.
    EXPECT_EQ(parse(text("plain"), deflate), Events{text_event("plain")});
}

TEST(FrameParser, MessagesUpToTheLimitPass) {
    const FrameParserOptions small{.max_message_bytes = 1000, .deflate = false};
    const std::string full(1000, 'x');
    EXPECT_EQ(parse(text(full), small), Events{text_event(full)});
    EXPECT_EQ(parse(first_fragment(full.substr(0, 600)) + continuation(full.substr(600), true),
                    small),
              Events{text_event(full)});
    // The limit is per message: the next one starts from zero.
    EXPECT_EQ(parse(text(full) + text(full), small), (Events{text_event(full), text_event(full)}));
}

TEST(FrameParser, StaysSmallForIdleConnections) {
    // One per WebSocket connection, idle ones included: docs/ARCHITECTURE.md budgets 2 KiB for
    // all of it.
    EXPECT_LE(sizeof(FrameParser), 160U);
}

TEST(FrameParser, DefaultLimitIsOneMebibyte) {
    const std::string full(kMiB, 'x');
    EXPECT_EQ(parse(text(full), {}, 65536), Events{text_event(full)});
    EXPECT_EQ(parse(text(full + "x")), Events{error_event(CloseCode::message_too_big)});
}

}  // namespace
}  // namespace herald::wire::websocket
