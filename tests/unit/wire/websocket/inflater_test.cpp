#include "wire/websocket/inflater.hpp"

#include <string>

#include <gtest/gtest.h>

#include "client_frames.hpp"
#include "wire/websocket/deflater.hpp"
#include "wire/websocket/frame_parser.hpp"

namespace herald::wire::websocket {
namespace {

using testing::bytes;

const std::string kHello = bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});

std::string inflated(Inflater& inflater, std::string_view message) {
    std::string out;
    EXPECT_EQ(inflater.inflate(message, out), InflateStatus::ok);
    return out;
}

TEST(Inflater, Rfc7692Examples) {
    Inflater inflater(/*no_context_takeover=*/true);
    EXPECT_EQ(inflated(inflater, kHello), "Hello");  // §7.2.3.1
    EXPECT_EQ(inflated(inflater,
                       bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00})),
              "Hello");  // §7.2.3.3 stored
    EXPECT_EQ(inflated(inflater, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})),
              "Hello");  // §7.2.3.4 BFINAL
    EXPECT_EQ(inflated(inflater, bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9,
                                        0xc9, 0x07, 0x00})),
              "Hello");                                // §7.2.3.5 2 blocks
    EXPECT_EQ(inflated(inflater, bytes({0x00})), "");  // §7.2.3.6 empty
    EXPECT_EQ(inflated(inflater, kHello), "Hello");    // and still fine after all of them
}

TEST(Inflater, ContextTakeoverSharesTheWindowAcrossMessages) {
    // §7.2.3.2: the second "Hello" is a back-reference into the first message.
    const std::string second = bytes({0xf2, 0x00, 0x11, 0x00, 0x00});
    Inflater with_context(/*no_context_takeover=*/false);
    EXPECT_EQ(inflated(with_context, kHello), "Hello");
    EXPECT_EQ(inflated(with_context, second), "Hello");

    Inflater without_context(/*no_context_takeover=*/true);
    EXPECT_EQ(inflated(without_context, kHello), "Hello");
    std::string out;
    EXPECT_EQ(without_context.inflate(second, out),
              InflateStatus::bad_data);  // nothing to refer to
}

TEST(Inflater, ContextRestartsAfterAFinalBlock) {
    // A sender that ends its stream (BFINAL) starts a new one with the next message.
    Inflater inflater(/*no_context_takeover=*/false);
    EXPECT_EQ(inflated(inflater, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})), "Hello");
    EXPECT_EQ(inflated(inflater, kHello), "Hello");
}

TEST(Inflater, LimitAppliesToTheInflatedSize) {
    Deflater deflater;
    std::string at_limit;
    ASSERT_TRUE(deflater.compress(std::string(1000, 'a'), at_limit));
    std::string over_limit;
    ASSERT_TRUE(deflater.compress(std::string(1001, 'a'), over_limit));
    Inflater inflater(true, 1000);
    std::string out;
    EXPECT_EQ(inflater.inflate(at_limit, out), InflateStatus::ok);
    EXPECT_EQ(out.size(), 1000U);
    EXPECT_EQ(inflater.inflate(over_limit, out), InflateStatus::too_big);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(close_code_of(InflateStatus::too_big), CloseCode::message_too_big);
}

TEST(Inflater, BombStopsAtTheLimit) {
    // 64 MiB of zeros deflate to ~64 KiB: under the frame limit, far over the message limit.
    Deflater deflater;
    std::string bomb;
    ASSERT_TRUE(deflater.compress(std::string(64 * kMiB, '\0'), bomb));
    ASSERT_LT(bomb.size(), kMiB);
    Inflater inflater(false);  // default limit: 1 MiB
    std::string out;
    EXPECT_EQ(inflater.inflate(bomb, out), InflateStatus::too_big);
    EXPECT_LE(out.capacity(), 2 * kMiB);  // never held more than the limit allows
}

TEST(Inflater, BadDataIs1007AndASharedInflaterRecovers) {
    Inflater inflater(/*no_context_takeover=*/true);
    std::string out;
    EXPECT_EQ(inflater.inflate(bytes({0xff, 0xff, 0xff}), out), InflateStatus::bad_data);
    EXPECT_EQ(close_code_of(InflateStatus::bad_data), CloseCode::invalid_frame_payload_data);
    EXPECT_EQ(close_code_of(InflateStatus::no_memory), CloseCode::internal_error);
    EXPECT_EQ(inflated(inflater, kHello), "Hello");  // the next connection's message
}

TEST(Inflater, ReleaseFreesTheStreamAndStartsAfresh) {
    Inflater inflater(true);
    EXPECT_EQ(inflated(inflater, kHello), "Hello");
    inflater.release();
    EXPECT_EQ(inflated(inflater, kHello), "Hello");
}

TEST(Inflater, ClientMessageFromWireToText) {
    // A compressed, fragmented, masked client message: parser, then inflater, then UTF-8 check.
    const std::string wire = testing::client_frame(Opcode::text, kHello.substr(0, 3),
                                                   {.fin = false, .compressed = true}) +
                             testing::client_frame(Opcode::continuation, kHello.substr(3),
                                                   {.fin = true, .compressed = false});
    const auto events = testing::parse(wire, {.max_message_bytes = kMiB, .deflate = true}, 2);
    ASSERT_EQ(events.size(), 1U);
    ASSERT_TRUE(events[0].compressed);
    Inflater inflater(true);
    const std::string text = inflated(inflater, events[0].payload);
    EXPECT_EQ(text, "Hello");
    EXPECT_TRUE(is_valid_utf8(text));
}

}  // namespace
}  // namespace herald::wire::websocket
