#include "webhook/signature.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

Secret parse(std::string_view text) {
    return std::get<Secret>(Secret::parse(text));
}

const Secret kSpecSecret = parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

TEST(Signature, SignedContentIsIdTimestampBodyJoinedByDots) {
    EXPECT_EQ(signed_content("msg_1", 1614265330, R"({"a":1})"), R"(msg_1.1614265330.{"a":1})");
    EXPECT_EQ(signed_content("id", 0, ""), "id.0.");
}

TEST(Signature, ReproducesTheStandardWebhooksTestVector) {
    // The example the Standard Webhooks reference libraries test against: matching it is what
    // says a receiver's library will accept our signatures.
    EXPECT_EQ(sign(kSpecSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                   R"({"test": 2432232314})"),
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signature, MatchesNodeCryptoForAUtf8BodyAndAMaximumKey) {
    // Expected values from node:crypto:
    //   "v1," + createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64")
    const Secret key64 = parse(
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7"
            "PD0+Pw==");  // bytes 0..63
    const std::string body =
            "{\"type\":\"message.published\",\"timestamp\":\"2025-11-22T22:20:00.123Z\",\"data\":"
            "{\"channel\":\"room:42\",\"seq\":17,\"id\":\"m_1\",\"event\":\"message\",\"data\":"
            "{\"text\":\"h\xc3\xa9llo \xe2\x9c\x93\"},\"time\":1763850000123}}";
    EXPECT_EQ(sign(key64, "evt_01JD0000000000000000000000", 1763850000, body),
              "v1,ZO3dWL1V7NsSVGZQkg6F+9Cyb2ndNrR4oFd/XwxEo6o=");
    EXPECT_EQ(sign(kSpecSecret, "id", 0, ""), "v1,WUUEjWSO0VOTH8RO0scz8v5Bl2mrNsQJwcktbe6A9qE=");
}

TEST(Signature, EveryInputChangesTheSignature) {
    const std::string base = sign(kSpecSecret, "msg_1", 100, "{}");
    EXPECT_EQ(sign(kSpecSecret, "msg_1", 100, "{}"), base) << "deterministic";
    EXPECT_NE(sign(kSpecSecret, "msg_2", 100, "{}"), base);
    EXPECT_NE(sign(kSpecSecret, "msg_1", 101, "{}"), base);
    EXPECT_NE(sign(kSpecSecret, "msg_1", 100, "{ }"), base);
    EXPECT_NE(sign(*Secret::generate(), "msg_1", 100, "{}"), base);
}

TEST(Signature, IsV1AndBase64OfThirtyTwoBytes) {
    const std::string signature = sign(kSpecSecret, "x", 1, std::string(100000, 'b'));
    ASSERT_TRUE(signature.starts_with("v1,"));
    EXPECT_EQ(signature.size(), 3u + 44u);
    EXPECT_EQ(signature.back(), '=');
}

TEST(Signature, BodyMayHoldNulBytes) {
    const std::string with_nul("a\0b", 3);
    EXPECT_NE(sign(kSpecSecret, "x", 1, with_nul), sign(kSpecSecret, "x", 1, "a"));
}

}  // namespace
}  // namespace herald::webhook
