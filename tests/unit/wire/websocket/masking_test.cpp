#include "wire/websocket/masking.hpp"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace herald::wire::websocket {
namespace {

constexpr MaskKey kKey{0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 §5.7

std::string reference_mask(std::string data, MaskKey key, std::size_t offset) {
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ key[(offset + i) % 4]);
    }
    return data;
}

std::string sample(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<char>(i * 7 + 3);
    }
    return data;
}

TEST(Masking, Rfc6455Example) {
    std::string hello = "Hello";
    apply_mask(hello, kKey);
    EXPECT_EQ(hello, "\x7f\x9f\x4d\x51\x58");
    apply_mask(hello, kKey);  // the same XOR undoes it
    EXPECT_EQ(hello, "Hello");
}

TEST(Masking, MatchesBytewiseReferenceForEverySizeAndOffset) {
    for (std::size_t size = 0; size < 70; ++size) {
        for (std::size_t offset = 0; offset < 8; ++offset) {
            std::string data = sample(size);
            const std::string expected = reference_mask(data, kKey, offset);
            apply_mask(data, kKey, offset);
            ASSERT_EQ(data, expected) << size << " " << offset;
        }
    }
}

TEST(Masking, UnalignedBuffers) {
    for (std::size_t shift = 0; shift < 8; ++shift) {
        std::string buffer = sample(100);
        const std::string expected = reference_mask(buffer.substr(shift), kKey, 0);
        apply_mask(std::span<char>(buffer).subspan(shift), kKey);
        EXPECT_EQ(buffer.substr(shift), expected) << shift;
    }
}

TEST(Masking, PiecesWithOffsetsEqualTheWhole) {
    const std::string original = sample(1000);
    std::string whole = original;
    apply_mask(whole, kKey);
    for (const std::size_t piece : {1U, 3U, 5U, 8U, 13U, 64U, 999U}) {
        std::string pieces = original;
        for (std::size_t at = 0; at < pieces.size(); at += piece) {
            const std::size_t n = std::min(piece, pieces.size() - at);
            apply_mask(std::span<char>(pieces).subspan(at, n), kKey, at);
        }
        EXPECT_EQ(pieces, whole) << piece;
    }
}

}  // namespace
}  // namespace herald::wire::websocket
