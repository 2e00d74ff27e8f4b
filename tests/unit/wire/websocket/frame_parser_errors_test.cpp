// Every way a client frame breaks RFC 6455, and the close code it gets.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "client_frames.hpp"
#include "wire/websocket/frame_parser.hpp"

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
using Events = std::vector<Event>;

const Events kProtocolError{error_event(CloseCode::protocol_error)};
const Events kInvalidData{error_event(CloseCode::invalid_frame_payload_data)};
const Events kTooBig{error_event(CloseCode::message_too_big)};
const FrameParserOptions kDeflate{.max_message_bytes = kMiB, .deflate = true};

std::string fragment(Opcode opcode, std::string_view payload, bool fin) {
    return client_frame(opcode, payload, {.fin = fin, .compressed = false});
}

/// Feeds `wire` and expects `expected` as soon as the first `enough` bytes are in: the breach
/// is seen without waiting for (or buffering) anything after them.
void expect_early(std::string_view wire, std::size_t enough, const Events& expected,
                  FrameParserOptions options = {}) {
    FrameParser parser(options);
    EXPECT_EQ(feed(parser, wire.substr(0, enough), 1), expected);
    EXPECT_TRUE(parser.finished());
}

TEST(FrameParserErrors, UnmaskedFrameIs1002FromItsSecondByte) {
    const std::string unmasked = bytes({0x81, 0x05}) + "Hello";
    expect_early(unmasked, 2, kProtocolError);
    EXPECT_EQ(parse(bytes({0x89, 0x00})), kProtocolError);  // an unmasked empty ping too
}

TEST(FrameParserErrors, ReservedBitsWithoutAnExtension) {
    for (const int rsv : {0x40, 0x20, 0x10, 0x70}) {
        expect_early(raw_frame(0x81 | rsv, 5, "", "Hello"), 2, kProtocolError);
    }
    // With permessage-deflate RSV1 is fine on a first data frame, but RSV2/RSV3 never are.
    expect_early(raw_frame(0x81 | 0x20, 5, "", "Hello"), 2, kProtocolError, kDeflate);
    expect_early(raw_frame(0x81 | 0x10, 5, "", "Hello"), 2, kProtocolError, kDeflate);
}

TEST(FrameParserErrors, Rsv1OnlyOnTheFirstFrameOfADataMessage) {
    const std::string first = fragment(Opcode::text, "a", false);
    EXPECT_EQ(parse(first + raw_frame(0x80 | 0x40, 1, "", "b"), kDeflate), kProtocolError);
    for (const int control : {0x88, 0x89, 0x8A}) {
        EXPECT_EQ(parse(raw_frame(control | 0x40, 0, "", ""), kDeflate), kProtocolError) << control;
    }
}

TEST(FrameParserErrors, UnknownOpcodes) {
    for (const int opcode : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
        expect_early(raw_frame(0x80 | opcode, 0, "", ""), 2, kProtocolError);
    }
}

TEST(FrameParserErrors, OversizedOrFragmentedControlFrames) {
    for (const int control : {0x88, 0x89, 0x8A}) {
        const std::string payload(126, 'x');
        expect_early(raw_frame(control, 126, bytes({0, 126}), payload), 2, kProtocolError);
        expect_early(raw_frame(control, 127, bytes({0, 0, 0, 0, 0, 0, 0, 126}), payload), 2,
                     kProtocolError);
        expect_early(raw_frame(control & 0x0F, 0, "", ""), 2, kProtocolError);  // FIN clear
    }
}

TEST(FrameParserErrors, FragmentsOutOfOrder) {
    EXPECT_EQ(parse(fragment(Opcode::continuation, "lo", true)), kProtocolError);
    EXPECT_EQ(parse(fragment(Opcode::continuation, "lo", false)), kProtocolError);
    // A finished message leaves nothing to continue.
    EXPECT_EQ(parse(text("Hel") + fragment(Opcode::continuation, "lo", true)),
              (Events{testing::text_event("Hel"), error_event(CloseCode::protocol_error)}));
    // A new data message may not start before the fragmented one ends.
    const std::string first = fragment(Opcode::text, "Hel", false);
    EXPECT_EQ(parse(first + text("lo")), kProtocolError);
    EXPECT_EQ(parse(first + fragment(Opcode::text, "lo", false)), kProtocolError);
    EXPECT_EQ(parse(first + client_frame(Opcode::binary, "lo")), kProtocolError);
}

TEST(FrameParserErrors, LengthWithTheTopBitSet) {
    expect_early(raw_frame(0x81, 127, bytes({0x80, 0, 0, 0, 0, 0, 0, 5}), "Hello"), 14,
                 kProtocolError);
}

TEST(FrameParserErrors, TooBigIsSeenOnTheHeader) {
    const FrameParserOptions small{.max_message_bytes = 1000, .deflate = false};
    const std::string big = text(std::string(1001, 'x'));
    expect_early(big, 8, kTooBig, small);  // 2 + 2 (length) + 4 (mask): no payload needed
    expect_early(raw_frame(0x81, 127, bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), ""),
                 14, kTooBig, small);
    // Fragments count together; the breach shows on the header of the one that crosses it.
    const std::string first = fragment(Opcode::text, std::string(600, 'x'), false);
    const std::string second = fragment(Opcode::continuation, std::string(401, 'x'), true);
    expect_early(first + second, first.size() + 8, kTooBig, small);
    // Compressed messages are bounded by their deflated size here.
    expect_early(
            client_frame(Opcode::text, std::string(1001, 'x'), {.fin = true, .compressed = true}),
            8, kTooBig, {.max_message_bytes = 1000, .deflate = true});
}

TEST(FrameParserErrors, BinaryIsReportedFromItsHeaderFor1003) {
    const Events binary{{ParseStatus::binary, "", CloseCode::unsupported_data, false}};
    expect_early(client_frame(Opcode::binary, std::string(5000, '\xff')), 8, binary);
    EXPECT_EQ(parse(client_frame(Opcode::binary, "")), binary);
    EXPECT_EQ(parse(fragment(Opcode::binary, "ab", false)), binary);
}

TEST(FrameParserErrors, InvalidUtf8TextIs1007) {
    for (const std::string_view invalid :
         {"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe0\x80\xaf", "\x80", "\xff",
          "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"}) {
        EXPECT_EQ(parse(text(invalid)), kInvalidData) << ::testing::PrintToString(invalid);
        EXPECT_EQ(parse(text(invalid), {}, 1), kInvalidData);
    }
}

TEST(FrameParserErrors, TruncatedUtf8AtTheEndOfTheMessageIs1007) {
    EXPECT_EQ(parse(text("ok\xce")), kInvalidData);
    EXPECT_EQ(parse(fragment(Opcode::text, "ok", false) +
                    fragment(Opcode::continuation, "\xf0\x9f", true)),
              kInvalidData);
    // Open at the end of a fragment is fine while more fragments follow.
    EXPECT_EQ(parse(fragment(Opcode::text, "\xf0\x9f", false) +
                    fragment(Opcode::continuation, "\x98\x80", true)),
              Events{testing::text_event("\xf0\x9f\x98\x80")});
}

TEST(FrameParserErrors, InvalidUtf8FailsFastBeforeTheMessageEnds) {
    // Autobahn 6.4.x: the bad byte fails the connection as it arrives.
    const std::string first = fragment(Opcode::text, "\xce\xba\xe1\xbd\xb9\xf4\x90", false);
    expect_early(first + fragment(Opcode::continuation, "\x80\x80 more", true), first.size(),
                 kInvalidData);
    // Within one frame too: the 7th payload byte is bad, the frame is 100 bytes long.
    const std::string frame = text("\xce\xba\xe1\xbd\xb9\xf4\x90" + std::string(93, 'a'));
    expect_early(frame, 2 + 4 + 7, kInvalidData);
}

TEST(FrameParserErrors, BadClosePayloads) {
    EXPECT_EQ(parse(client_frame(Opcode::close, "\x03")), kProtocolError);  // 1 byte
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        EXPECT_EQ(parse(client_frame(Opcode::close, bytes({code >> 8, code & 0xFF}))),
                  kProtocolError)
                << code;
    }
    // Autobahn 7.5.1: a reason that is not UTF-8. We answer 1007, as for a text message.
    EXPECT_EQ(parse(client_frame(Opcode::close,
                                 bytes({0x03, 0xe8}) + "\xce\xba\xe1\xbd\xb9\xed\xa0\x80")),
              kInvalidData);
    const std::string too_long = bytes({0x03, 0xe8}) + std::string(124, 'r');  // 126 bytes
    EXPECT_EQ(parse(client_frame(Opcode::close, too_long)), kProtocolError);
}

TEST(FrameParserErrors, NothingAfterAnError) {
    FrameParser parser;
    EXPECT_EQ(feed(parser, bytes({0x81, 0x05}) + "Hello" + text("next")), kProtocolError);
    std::string more = text("more");
    std::span<char> input(more);
    EXPECT_EQ(parser.parse(input).status, ParseStatus::need_more);
    EXPECT_TRUE(input.empty());
    EXPECT_TRUE(parser.finished());
}

}  // namespace
}  // namespace herald::wire::websocket
