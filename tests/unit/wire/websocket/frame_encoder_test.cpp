#include "wire/websocket/frame_encoder.hpp"

#include <string>

#include <gtest/gtest.h>

#include "client_frames.hpp"
#include "wire/websocket/frame_parser.hpp"

namespace herald::wire::websocket {
namespace {

using testing::bytes;

TEST(FrameEncoder, Rfc6455UnmaskedExamples) {
    EXPECT_EQ(encode_text_frame("Hello"), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    EXPECT_EQ(encode_frame(Opcode::text, "Hel", {.fin = false, .compressed = false}),
              bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
    EXPECT_EQ(encode_frame(Opcode::continuation, "lo"), bytes({0x80, 0x02, 0x6c, 0x6f}));
    EXPECT_EQ(encode_ping_frame("Hello"), bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    const std::string binary_256 = encode_frame(Opcode::binary, std::string(256, 'b'));
    EXPECT_EQ(binary_256.substr(0, 4), bytes({0x82, 0x7e, 0x01, 0x00}));
    const std::string binary_64k = encode_frame(Opcode::binary, std::string(65536, 'b'));
    EXPECT_EQ(binary_64k.substr(0, 10), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}));
    EXPECT_EQ(binary_64k.size(), 10U + 65536U);
}

TEST(FrameEncoder, MinimalHeaderAtEveryBoundary) {
    const struct {
        std::size_t size;
        std::string header;
    } cases[] = {
            {0, bytes({0x81, 0})},
            {125, bytes({0x81, 125})},
            {126, bytes({0x81, 126, 0, 126})},
            {65535, bytes({0x81, 126, 0xff, 0xff})},
            {65536, bytes({0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0})},
            {std::size_t{1} << 40, bytes({0x81, 127, 0, 0, 1, 0, 0, 0, 0, 0})},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(encode_frame_header(Opcode::text, c.size).view(), c.header) << c.size;
    }
}

TEST(FrameEncoder, HeaderForAGatherWriteOfASharedPayload) {
    const std::string shared(300, 'x');
    const FrameHeader header = encode_frame_header(Opcode::text, shared.size());
    EXPECT_EQ(std::string(header.view()) + shared, encode_text_frame(shared));
    const FrameHeader deflated =
            encode_frame_header(Opcode::text, 7, {.fin = true, .compressed = true});
    EXPECT_EQ(deflated.view(), bytes({0xc1, 0x07}));  // RSV1 marks permessage-deflate
}

TEST(FrameEncoder, CloseFrames) {
    EXPECT_EQ(encode_close_frame(CloseCode::normal_closure), bytes({0x88, 0x02, 0x03, 0xe8}));
    EXPECT_EQ(encode_close_frame(CloseCode::try_again_later, "slow consumer"),
              bytes({0x88, 15, 0x03, 0xf5}) + "slow consumer");
    EXPECT_EQ(encode_close_frame(static_cast<CloseCode>(4000), "app"),
              bytes({0x88, 5, 0x0f, 0xa0}) + "app");
}

TEST(FrameEncoder, CloseReasonIsCutAtAUtf8Boundary) {
    const std::string ascii(200, 'r');
    EXPECT_EQ(encode_close_frame(CloseCode::going_away, ascii).size(), 2U + 125U);
    // 122 bytes, then a 2-byte é that would end at byte 124: it goes whole.
    const std::string frame =
            encode_close_frame(CloseCode::going_away, std::string(122, 'r') + "\xc3\xa9");
    EXPECT_EQ(frame.size(), 2U + 2U + 122U);
    EXPECT_TRUE(is_valid_utf8(std::string_view(frame).substr(4)));
    // 120 bytes and a 3-byte € fill the 123 exactly.
    EXPECT_EQ(encode_close_frame(CloseCode::going_away, std::string(120, 'r') + "\xe2\x82\xac")
                      .size(),
              2U + 2U + 123U);
}

TEST(FrameEncoder, PingAndPongKeepAtMost125Bytes) {
    EXPECT_EQ(encode_ping_frame(), bytes({0x89, 0x00}));
    EXPECT_EQ(encode_pong_frame(""), bytes({0x8a, 0x00}));
    EXPECT_EQ(encode_pong_frame(std::string(200, 'p')), bytes({0x8a, 125}) + std::string(125, 'p'));
}

TEST(FrameEncoder, MaskedRfc6455Examples) {
    EXPECT_EQ(encode_masked_frame(Opcode::text, "Hello", testing::kKey),
              bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    EXPECT_EQ(encode_masked_frame(Opcode::pong, "Hello", testing::kKey),
              bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(FrameEncoder, MaskedFramesRoundTripThroughTheParser) {
    for (const std::size_t size : {0U, 1U, 7U, 8U, 9U, 125U, 126U, 65535U, 65536U, 100000U}) {
        std::string payload(size, '\0');
        for (std::size_t i = 0; i < size; ++i) {
            payload[i] = static_cast<char>('a' + i % 26);
        }
        for (const MaskKey key :
             {MaskKey{0, 0, 0, 0}, MaskKey{1, 2, 3, 4}, MaskKey{0xff, 0x80, 0x7f, 0x01}}) {
            std::string wire = encode_masked_frame(Opcode::text, payload, key);
            std::span<char> input(wire);
            FrameParser parser;
            const ParseEvent event = parser.parse(input);
            ASSERT_EQ(event.status, ParseStatus::text);
            EXPECT_EQ(event.payload, payload) << size;
        }
    }
}

TEST(FrameEncoder, ServerFramesAreRefusedByTheServerParser) {
    // Our own output is unmasked, as a server's must be; a client sending it breaks §5.1.
    std::string wire = encode_text_frame("Hello");
    std::span<char> input(wire);
    FrameParser parser;
    const ParseEvent event = parser.parse(input);
    EXPECT_EQ(event.status, ParseStatus::error);
    EXPECT_EQ(event.code, CloseCode::protocol_error);
}

}  // namespace
}  // namespace herald::wire::websocket
