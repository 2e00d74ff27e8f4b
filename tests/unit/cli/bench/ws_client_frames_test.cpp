#include "cli/bench/ws_client_frames.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wire/websocket/frame_encoder.hpp"

namespace herald::cli::bench {
namespace {

using Status = ServerFrameStatus;

struct Event {
    Status status;
    std::string payload;
    std::uint16_t close_code;
    bool operator==(const Event&) const = default;
};

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int value : values)
        out.push_back(static_cast<char>(value));
    return out;
}

/// Feeds `input` the way a socket would, `piece` bytes per read through prepare() and
/// commit(), and collects every event (copied: views die with the next read).
std::vector<Event> read_all(ServerFrameReader& reader, std::string_view input,
                            std::size_t piece = 1 << 20) {
    std::vector<Event> events;
    while (!input.empty()) {
        const std::span<char> room = reader.prepare();
        const std::size_t n = std::min({room.size(), piece, input.size()});
        std::memcpy(room.data(), input.data(), n);
        reader.commit(n);
        input.remove_prefix(n);
        for (ServerFrame frame = reader.next(); frame.status != Status::need_more;
             frame = reader.next()) {
            events.push_back({frame.status, std::string(frame.payload), frame.close_code});
        }
    }
    return events;
}

std::vector<Event> read_all(std::string_view input, std::size_t piece = 1 << 20) {
    ServerFrameReader reader;
    return read_all(reader, input, piece);
}

Event text(std::string payload) {
    return {Status::text, std::move(payload), 1005};
}

// RFC 6455 §5.7, "A single-frame unmasked text message".
TEST(ServerFrameReader, ReadsTheRfcUnmaskedTextExample) {
    EXPECT_EQ(read_all(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})),
              std::vector<Event>{text("Hello")});
}

// §5.7, "A fragmented unmasked text message".
TEST(ServerFrameReader, AssemblesTheRfcFragmentedExample) {
    const std::string input =
            bytes({0x01, 0x03, 0x48, 0x65, 0x6c}) + bytes({0x80, 0x02, 0x6c, 0x6f});
    EXPECT_EQ(read_all(input), std::vector<Event>{text("Hello")});
    EXPECT_EQ(read_all(input, 1), std::vector<Event>{text("Hello")});
}

// §5.7, "Unmasked Ping request".
TEST(ServerFrameReader, ReadsTheRfcPingExample) {
    EXPECT_EQ(read_all(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})),
              (std::vector<Event>{{Status::ping, "Hello", 1005}}));
}

// §5.7, "256 bytes binary message in a single unmasked frame" and "64KiB binary message in a
// single unmasked frame": the 16-bit and 64-bit length forms.
TEST(ServerFrameReader, ReadsTheRfcBinaryExamplesOfBothLongLengthForms) {
    const std::string small(256, 'x');
    const std::string big(65536, 'y');
    const std::string input = bytes({0x82, 0x7E, 0x01, 0x00}) + small +
                              bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}) + big;
    const std::vector<Event> expected{{Status::binary, small, 1005}, {Status::binary, big, 1005}};
    EXPECT_EQ(read_all(input), expected);
    EXPECT_EQ(read_all(input, 1000), expected);
}

TEST(ServerFrameReader, ReadsEveryLengthFormAtItsEdges) {
    std::string input;
    std::vector<Event> expected;
    for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
        const std::string payload(size, static_cast<char>('a' + size % 26));
        input += wire::websocket::encode_text_frame(payload);
        expected.push_back(text(payload));
    }
    EXPECT_EQ(read_all(input), expected);
    EXPECT_EQ(read_all(input, 7), expected) << "frames split over reads at odd places";
    EXPECT_EQ(read_all(input, 1), expected) << "one byte per read";
}

TEST(ServerFrameReader, ReadsManySmallFramesThroughASmallBufferByCompacting) {
    ServerFrameReader reader(64);  // a few frames per buffer: most reads end mid-frame
    std::string input;
    std::vector<Event> expected;
    for (int i = 0; i < 200; ++i) {
        const std::string payload = R"({"type":"message","seq":)" + std::to_string(i) + "}";
        input += wire::websocket::encode_text_frame(payload);
        expected.push_back(text(payload));
    }
    EXPECT_EQ(read_all(reader, input, 50), expected);
}

TEST(ServerFrameReader, ReportsControlFramesBetweenFragmentsAtOnce) {
    using wire::websocket::encode_frame;
    using wire::websocket::Opcode;
    const std::string input =
            encode_frame(Opcode::text, "ab", {.fin = false}) + encode_frame(Opcode::ping, "p1") +
            encode_frame(Opcode::continuation, "cd", {.fin = false}) +
            encode_frame(Opcode::pong, "p2") + encode_frame(Opcode::continuation, "ef") +
            encode_frame(Opcode::text, "whole");
    const std::vector<Event> expected{
            {Status::ping, "p1", 1005}, {Status::pong, "p2", 1005}, text("abcdef"), text("whole")};
    EXPECT_EQ(read_all(input), expected);
    EXPECT_EQ(read_all(input, 3), expected);
}

TEST(ServerFrameReader, ReadsCloseCodeAndReason) {
    using wire::websocket::CloseCode;
    const std::string input =
            wire::websocket::encode_close_frame(CloseCode::try_again_later, "slow consumer");
    EXPECT_EQ(read_all(input), (std::vector<Event>{{Status::close, "slow consumer", 1013}}));
    EXPECT_EQ(read_all(bytes({0x88, 0x00})), (std::vector<Event>{{Status::close, "", 1005}}));
}

TEST(ServerFrameReader, StartsOverAfterReset) {
    ServerFrameReader reader;
    reader.append(bytes({0x01, 0x03, 0x48, 0x65}));  // half a fragmented message
    EXPECT_EQ(reader.next().status, Status::need_more);
    reader.reset();
    EXPECT_EQ(read_all(reader, bytes({0x81, 0x02, 0x68, 0x69})), std::vector<Event>{text("hi")});
}

/// The first event of `input`, which must be an error, and that the reader stays finished.
void expect_error(const std::string& input, const char* why) {
    ServerFrameReader reader(1024, 1000);
    reader.append(input);
    EXPECT_EQ(reader.next().status, Status::error) << why;
    reader.append(bytes({0x81, 0x01, 0x61}));
    EXPECT_EQ(reader.next().status, Status::need_more) << why << ": finished after an error";
}

TEST(ServerFrameReader, RefusesFramesThatBreakRfc6455) {
    using wire::websocket::encode_frame;
    using wire::websocket::Opcode;
    expect_error(bytes({0x81, 0x85, 1, 2, 3, 4, 0, 0, 0, 0, 0}), "a masked server frame");
    expect_error(bytes({0xC1, 0x01, 0x61}), "RSV1 without an extension");
    expect_error(bytes({0x83, 0x00}), "reserved data opcode");
    expect_error(bytes({0x8B, 0x00}), "reserved control opcode");
    expect_error(bytes({0x80, 0x01, 0x61}), "a continuation with no message");
    expect_error(bytes({0x09, 0x00}), "a fragmented ping");
    expect_error(bytes({0x89, 0x7E, 0x00, 0x7E}) + std::string(126, 'p'), "a ping over 125");
    expect_error(bytes({0x88, 0x01, 0x03}), "a close payload of one byte");
    expect_error(encode_frame(Opcode::text, "a", {.fin = false}) + encode_frame(Opcode::text, "b"),
                 "a new message inside a fragmented one");
    expect_error(encode_frame(Opcode::text, std::string(1001, 'x')), "over the message limit");
    expect_error(encode_frame(Opcode::text, std::string(600, 'x'), {.fin = false}) +
                         encode_frame(Opcode::continuation, std::string(600, 'x')),
                 "fragments together over the message limit");
    expect_error(bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
                 "a 64-bit length with the top bit");
}

TEST(ServerFrameReader, MarksCompressedMessagesOnceDeflateIsAgreed) {
    using wire::websocket::encode_frame;
    using wire::websocket::Opcode;
    ServerFrameReader reader;
    reader.allow_compression(true);
    reader.append(encode_frame(Opcode::text, "zz", {.compressed = true}) +
                  encode_frame(Opcode::text, "plain"));
    ServerFrame first = reader.next();
    EXPECT_EQ(first.status, Status::text);
    EXPECT_EQ(first.payload, "zz");
    EXPECT_TRUE(first.compressed);
    ServerFrame second = reader.next();
    EXPECT_EQ(second.payload, "plain");
    EXPECT_FALSE(second.compressed);
    // A compressed message in fragments: RSV1 on the first only, the whole message marked.
    reader.append(encode_frame(Opcode::text, "ab", {.fin = false, .compressed = true}) +
                  encode_frame(Opcode::continuation, "cd"));
    ServerFrame fragmented = reader.next();
    EXPECT_EQ(fragmented.payload, "abcd");
    EXPECT_TRUE(fragmented.compressed);
    // RSV1 on a continuation or a control frame is still a breach.
    reader.reset();
    reader.allow_compression(true);
    reader.append(encode_frame(Opcode::text, "a", {.fin = false}) +
                  encode_frame(Opcode::continuation, "b", {.compressed = true}));
    EXPECT_EQ(reader.next().status, Status::error);
    reader.reset();
    reader.allow_compression(true);
    reader.append(bytes({0xC9, 0x00}));
    EXPECT_EQ(reader.next().status, Status::error);
}

// §5.7, "A single-frame masked text message" and "Masked Pong response".
TEST(EncodeClientFrame, MasksLikeTheRfcExamples) {
    const wire::websocket::MaskKey key{0x37, 0xfa, 0x21, 0x3d};
    const std::string hello_masked = bytes({0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    EXPECT_EQ(encode_client_frame(ws::Opcode::text, "Hello", key),
              bytes({0x81, 0x85}) + hello_masked);
    EXPECT_EQ(encode_client_frame(ws::Opcode::pong, "Hello", key),
              bytes({0x8a, 0x85}) + hello_masked);
}

TEST(EncodeClientFrame, MasksUnderAFreshKeyEveryLengthForm) {
    for (std::size_t size : {5, 126, 65536}) {
        const std::string payload(size, 'z');
        const std::string frame = encode_client_frame(ws::Opcode::text, payload);
        const std::size_t header = size < 126 ? 2 : size <= 65535 ? 4 : 10;
        ASSERT_EQ(frame.size(), header + 4 + size);
        EXPECT_EQ(static_cast<std::uint8_t>(frame[0]), 0x81);
        EXPECT_NE(static_cast<std::uint8_t>(frame[1]) & 0x80, 0) << "the MASK bit";
        std::string unmasked = frame.substr(header + 4);
        for (std::size_t i = 0; i < unmasked.size(); ++i)
            unmasked[i] = static_cast<char>(unmasked[i] ^ frame[header + i % 4]);
        EXPECT_EQ(unmasked, payload);
    }
    // Two frames, two keys: a fixed key would be a constant XOR a proxy could predict.
    EXPECT_NE(encode_client_frame(ws::Opcode::text, "same").substr(2, 4),
              encode_client_frame(ws::Opcode::text, "same").substr(2, 4));
}

}  // namespace
}  // namespace herald::cli::bench
