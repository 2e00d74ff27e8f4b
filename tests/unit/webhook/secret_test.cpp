#include "webhook/secret.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

std::string message_of(const std::variant<Secret, InvalidInput>& result) {
    const auto* error = std::get_if<InvalidInput>(&result);
    return error ? error->message : "";
}

/// `whsec_` + base64 of `n` bytes of 'k'.
std::string secret_of_size(std::size_t n) {
    static const std::string k64 = "a2tr";  // base64 of "kkk"
    std::string text = "whsec_";
    for (std::size_t i = 0; i < n / 3; ++i)
        text += k64;
    if (n % 3 == 1) text += "aw==";
    if (n % 3 == 2) text += "a2s=";
    return text;
}

TEST(Secret, ParsesTheSpecExample) {
    // Standard Webhooks' example secret: 24 bytes, the smallest the spec allows.
    auto parsed = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    ASSERT_TRUE(std::holds_alternative<Secret>(parsed)) << message_of(parsed);
    const Secret& secret = std::get<Secret>(parsed);
    EXPECT_EQ(secret.key().size(), 24u);
    EXPECT_EQ(secret.key()[0], 0x31);  // 'M','f' -> 0b001100 0b011111 -> 0x31
    EXPECT_EQ(secret.text(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
}

TEST(Secret, AcceptsEveryLengthFromMinimumToMaximum) {
    for (std::size_t n = kMinSecretBytes; n <= kMaxSecretBytes; ++n) {
        auto parsed = Secret::parse(secret_of_size(n));
        ASSERT_TRUE(std::holds_alternative<Secret>(parsed)) << n << ": " << message_of(parsed);
        EXPECT_EQ(std::get<Secret>(parsed).key().size(), n);
        EXPECT_EQ(std::get<Secret>(parsed).text(), secret_of_size(n)) << "text() round-trips";
    }
}

TEST(Secret, RefusesKeysTooShortOrTooLong) {
    EXPECT_EQ(message_of(Secret::parse(secret_of_size(kMinSecretBytes - 1))),
              "secret must decode to 24 to 64 bytes, not 23");
    EXPECT_EQ(message_of(Secret::parse(secret_of_size(kMaxSecretBytes + 1))),
              "secret must decode to 24 to 64 bytes, not 65");
    EXPECT_EQ(message_of(Secret::parse("whsec_")), "secret must decode to 24 to 64 bytes, not 0");
}

TEST(Secret, RefusesAMissingOrDifferentPrefix) {
    const std::string expected = "secret must start with \"whsec_\"";
    for (std::string_view bad :
         {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec", ""}) {
        EXPECT_EQ(message_of(Secret::parse(bad)), expected) << bad;
    }
}

TEST(Secret, RefusesBadBase64WithoutEchoingIt) {
    for (std::string_view bad :
         {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w",
          "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La-aSw", "whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}) {
        const std::string message = message_of(Secret::parse(bad));
        EXPECT_EQ(message, "secret must be \"whsec_\" followed by standard, padded base64") << bad;
        EXPECT_EQ(message.find("MfKQ"), std::string::npos) << "a secret never appears in an error";
    }
}

TEST(Secret, GeneratesThirtyTwoRandomBytesThatParseBack) {
    auto first = Secret::generate();
    auto second = Secret::generate();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->key().size(), kGeneratedSecretBytes);
    EXPECT_NE(*first, *second);
    const std::string text = first->text();
    EXPECT_TRUE(text.starts_with("whsec_"));
    EXPECT_EQ(text.size(), 6u + 44u);  // 32 bytes: 44 base64 characters, one '='
    auto parsed = Secret::parse(text);
    ASSERT_TRUE(std::holds_alternative<Secret>(parsed));
    EXPECT_EQ(std::get<Secret>(parsed), *first);
}

TEST(Secret, CopiesAndMovesKeepTheKey) {
    auto original = std::get<Secret>(Secret::parse(secret_of_size(30)));
    Secret copy = original;
    EXPECT_EQ(copy, original);
    Secret assigned = *Secret::generate();
    assigned = copy;
    EXPECT_EQ(assigned, original);
    Secret moved = std::move(copy);
    EXPECT_EQ(moved, original);
    Secret move_assigned = *Secret::generate();
    move_assigned = std::move(moved);
    EXPECT_EQ(move_assigned, original);
    Secret& same = move_assigned;
    move_assigned = same;  // self-assignment keeps the key
    EXPECT_EQ(move_assigned, original);
}

}  // namespace
}  // namespace herald::webhook
