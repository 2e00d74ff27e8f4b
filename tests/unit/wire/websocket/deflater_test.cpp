#include "wire/websocket/deflater.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "client_frames.hpp"
#include "wire/websocket/frame_encoder.hpp"
#include "wire/websocket/inflater.hpp"

namespace herald::wire::websocket {
namespace {

using testing::bytes;

std::string compress(Deflater& deflater, std::string_view message) {
    std::string out;
    EXPECT_TRUE(deflater.compress(message, out));
    return out;
}

std::string json_like(std::size_t size) {
    std::string out;
    for (int i = 0; out.size() < size; ++i) {
        out += R"({"type":"message","channel":"room:42","seq":)" + std::to_string(i) +
               R"(,"data":{"text":"hi"}},)";
    }
    out.resize(size);
    return out;
}

std::string random_bytes(std::size_t size) {
    std::mt19937 random(42);
    std::string out(size, '\0');
    for (auto& c : out) {
        c = static_cast<char>(random());
    }
    return out;
}

TEST(Deflater, Rfc7692Hello) {
    Deflater deflater;
    EXPECT_EQ(compress(deflater, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
}

TEST(Deflater, NoContextTakeoverGivesTheSameBytesEveryTime) {
    // What makes one compressed frame right for every subscriber, whatever they got before.
    Deflater deflater;
    const std::string message = json_like(500);
    const std::string first = compress(deflater, message);
    (void)compress(deflater, json_like(3000));
    EXPECT_EQ(compress(deflater, message), first);
    Deflater other;
    EXPECT_EQ(compress(other, message), first);
}

TEST(Deflater, EmptyMessageIsOneZeroByte) {
    Deflater deflater;
    EXPECT_EQ(compress(deflater, ""), bytes({0x00}));  // RFC 7692 §7.2.3.6
}

TEST(Deflater, AppendsToWhatIsThere) {
    Deflater deflater;
    std::string out = "head";
    ASSERT_TRUE(deflater.compress("Hello", out));
    EXPECT_EQ(out, "head" + bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
}

TEST(Deflater, RoundTripsThroughTheInflater) {
    Deflater deflater;
    Inflater inflater(/*no_context_takeover=*/true, 4 * kMiB);
    for (const std::string& message :
         {std::string(), std::string("x"), json_like(100), json_like(64 * kKiB),
          random_bytes(200 * kKiB), std::string(3 * kMiB, 'z')}) {
        std::string out;
        ASSERT_EQ(inflater.inflate(compress(deflater, message), out), InflateStatus::ok);
        EXPECT_EQ(out, message) << message.size();
    }
}

TEST(Deflater, DeflatedFrameWhenShorter) {
    Deflater deflater;
    const std::string message = json_like(2000);
    const std::string frame = encode_deflated_text_frame(deflater, message);
    const std::string compressed = compress(deflater, message);
    EXPECT_EQ(frame, encode_frame(Opcode::text, compressed, {.fin = true, .compressed = true}));
    EXPECT_EQ(static_cast<std::uint8_t>(frame[0]), 0xc1);
    EXPECT_LT(frame.size(), message.size() / 4);
}

TEST(Deflater, PlainFrameWhenCompressionDoesNotPay) {
    Deflater deflater;
    EXPECT_EQ(encode_deflated_text_frame(deflater, "Hi"), encode_text_frame("Hi"));
    const std::string noise = random_bytes(1000);
    EXPECT_EQ(encode_deflated_text_frame(deflater, noise), encode_text_frame(noise));
}

TEST(Deflater, DeflatedFramesOfEveryHeaderSize) {
    Deflater deflater;
    Inflater inflater(true, 8 * kMiB);
    for (const std::size_t size : {300U, 5000U, 200000U, 4000000U}) {
        const std::string message = random_bytes(size / 2) + std::string(size / 2, 'a');
        const std::string frame = encode_deflated_text_frame(deflater, message);
        const std::string compressed = compress(deflater, message);
        const FrameHeader header = encode_frame_header(Opcode::text, compressed.size(),
                                                       {.fin = true, .compressed = true});
        ASSERT_EQ(frame, std::string(header.view()) + compressed) << size;
        std::string out;
        ASSERT_EQ(inflater.inflate(std::string_view(frame).substr(header.size), out),
                  InflateStatus::ok);
        EXPECT_EQ(out, message);
    }
}

}  // namespace
}  // namespace herald::wire::websocket
