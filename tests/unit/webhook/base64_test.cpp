#include "webhook/base64.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

std::vector<unsigned char> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

TEST(Base64, EncodesRfc4648Vectors) {
    // RFC 4648 section 10.
    EXPECT_EQ(base64_encode(bytes("")), "");
    EXPECT_EQ(base64_encode(bytes("f")), "Zg==");
    EXPECT_EQ(base64_encode(bytes("fo")), "Zm8=");
    EXPECT_EQ(base64_encode(bytes("foo")), "Zm9v");
    EXPECT_EQ(base64_encode(bytes("foob")), "Zm9vYg==");
    EXPECT_EQ(base64_encode(bytes("fooba")), "Zm9vYmE=");
    EXPECT_EQ(base64_encode(bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648Vectors) {
    for (std::string_view plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        const auto decoded = base64_decode(base64_encode(bytes(plain)));
        ASSERT_TRUE(decoded) << plain;
        EXPECT_EQ(*decoded, bytes(plain));
    }
}

TEST(Base64, UsesTheStandardAlphabetWithPlusAndSlash) {
    const std::vector<unsigned char> high = {0xfb, 0xff, 0xfe};
    EXPECT_EQ(base64_encode(high), "+//+");
    EXPECT_EQ(base64_decode("+//+"), high);
}

TEST(Base64, RoundTripsEveryByteValue) {
    std::vector<unsigned char> all(256);
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = static_cast<unsigned char>(i);
    EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, RefusesAnythingButStrictPaddedText) {
    for (std::string_view bad :
         {"Zg", "Zg=", "Zm8", "Z", "Zm9vY", "Zm9v\n", " Zm9v", "Zm 9v",
          "Zg==Zg==", "Z===", "====", "=Zg=", "Zm-v", "Zm_v", "Zm9v!", "Zm9=YmFy"}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
}

}  // namespace
}  // namespace herald::webhook
