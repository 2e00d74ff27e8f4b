#include "auth/jwt.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth/base64url.hpp"

namespace herald::auth {
namespace {

using std::chrono::seconds;

// RFC 7515 appendix A.1: an HS256 JWS, its key, and its claims (exp 1300819380).
constexpr std::string_view kRfcToken =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cn"
        "VlfQ."
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kRfcKey =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

JwtVerifier rfc_verifier() {
    return JwtVerifier::hs256(*base64url_decode(kRfcKey));
}

template <class T>
T expect_claims(const std::variant<TokenClaims, TokenError>& result) {
    if (!std::holds_alternative<TokenClaims>(result)) {
        ADD_FAILURE() << message_of(std::get<TokenError>(result));
        return T{};
    }
    return std::get<TokenClaims>(result);
}

TokenError error_of(const std::variant<TokenClaims, TokenError>& result) {
    EXPECT_TRUE(std::holds_alternative<TokenError>(result));
    return std::holds_alternative<TokenError>(result) ? std::get<TokenError>(result)
                                                      : TokenError::malformed;
}

TEST(Jwt, VerifiesTheRfc7515Hs256Example) {
    const auto claims =
            expect_claims<TokenClaims>(rfc_verifier().verify(kRfcToken, 1300819379, seconds(0)));
    EXPECT_EQ(claims.exp, 1300819380);
    EXPECT_FALSE(claims.has_herald);  // a token without herald claims may do nothing
    EXPECT_EQ(error_of(rfc_verifier().verify(kRfcToken, 1300819380, seconds(0))),
              TokenError::expired);
    EXPECT_TRUE(std::holds_alternative<TokenClaims>(
            rfc_verifier().verify(kRfcToken, 1300819385, seconds(10))))
            << "within the leeway";
}

TEST(Jwt, MintedTokensCarryHeraldClaims) {
    const std::string token = mint_hs256(
            "secret", R"({"sub":"ann","nbf":100,"exp":200,)"
                      R"("herald":{"subscribe":["room:*"],"publish":["room:1"],"admin":true}})");
    const auto verifier = JwtVerifier::hs256("secret");
    const auto claims = expect_claims<TokenClaims>(verifier.verify(token, 150, seconds(0)));
    EXPECT_EQ(claims.sub, "ann");
    EXPECT_TRUE(claims.has_herald);
    EXPECT_EQ(claims.subscribe, std::vector<std::string>{"room:*"});
    EXPECT_EQ(claims.publish, std::vector<std::string>{"room:1"});
    EXPECT_TRUE(claims.admin);
    EXPECT_EQ(error_of(verifier.verify(token, 99, seconds(0))), TokenError::not_yet_valid);
    EXPECT_EQ(error_of(verifier.verify(token, 200, seconds(0))), TokenError::expired);
    EXPECT_EQ(error_of(JwtVerifier::hs256("other").verify(token, 150, seconds(0))),
              TokenError::bad_signature);
}

TEST(Jwt, RefusesTamperingNoneAndOtherAlgorithms) {
    const auto verifier = JwtVerifier::hs256("secret");
    std::string token = mint_hs256("secret", R"({"sub":"ann"})");
    std::string tampered = token;
    tampered[tampered.find('.') + 2] ^= 1;  // one bit of the claims
    EXPECT_TRUE(std::holds_alternative<TokenError>(verifier.verify(tampered, 0, seconds(0))));
    const std::string claims = base64url_encode(R"({"sub":"ann"})");
    EXPECT_EQ(error_of(verifier.verify(base64url_encode(R"({"alg":"none"})") + "." + claims + ".",
                                       0, seconds(0))),
              TokenError::wrong_algorithm);
    EXPECT_EQ(error_of(verifier.verify(
                      base64url_encode(R"({"alg":"HS512"})") + "." + claims + ".AAAA", 0,
                      seconds(0))),
              TokenError::wrong_algorithm);
    for (std::string_view bad : {"", "a.b", "a.b.c.d", "!!.e30.", "e30.e30.e30"}) {
        EXPECT_EQ(error_of(verifier.verify(bad, 0, seconds(0))), TokenError::malformed) << bad;
    }
    const std::string wrong_type =
            mint_hs256("secret", R"({"herald":{"subscribe":"room:*"}})");  // not a list
    EXPECT_EQ(error_of(verifier.verify(wrong_type, 0, seconds(0))), TokenError::malformed);
    const std::string text_exp = mint_hs256("secret", R"({"exp":"tomorrow"})");
    EXPECT_EQ(error_of(verifier.verify(text_exp, 0, seconds(0))), TokenError::malformed);
}

TEST(Jwt, TimeClaimsAreIntegersUpTo2Pow53AndNeverOverflow) {
    const auto verifier = JwtVerifier::hs256("secret");
    const auto verify = [&](std::string_view claims, std::int64_t now, seconds leeway) {
        return verifier.verify(mint_hs256("secret", claims), now, leeway);
    };
    constexpr std::int64_t kNow = 1'800'000'000;
    // 2^53 itself is the largest time accepted: far in the future, valid with any leeway.
    expect_claims<TokenClaims>(verify(R"({"exp":9007199254740992})", kNow, seconds(30)));
    expect_claims<TokenClaims>(verify(R"({"exp":9007199254740992})", kNow, seconds(1LL << 62)));
    expect_claims<TokenClaims>(verify(R"({"nbf":0,"iat":0})", kNow, seconds(30)));
    EXPECT_EQ(error_of(verify(R"({"nbf":9007199254740992})", kNow, seconds(30))),
              TokenError::not_yet_valid);
    expect_claims<TokenClaims>(verify(R"({"nbf":9007199254740992})", kNow, seconds(1LL << 62)));
    EXPECT_EQ(error_of(verify(R"({"exp":0})", kNow, seconds(-(1LL << 62)))), TokenError::expired);
    for (std::string_view name : {"exp", "nbf", "iat"}) {
        for (std::string_view value :
             {"9007199254740993", "9223372036854775778", "9223372036854775807",
              "18446744073709551615", "1e300", "-1e300", "1.5", "-1", "1e3", "true", "null"}) {
            std::string claims = "{\"";
            claims += name;
            claims += "\":";
            claims += value;
            claims += '}';
            EXPECT_EQ(error_of(verify(claims, kNow, seconds(30))), TokenError::malformed) << claims;
        }
    }
    // A leeway larger than now does not wrap the comparison either.
    EXPECT_EQ(error_of(verify(R"({"exp":100})", kNow, seconds(0))), TokenError::expired);
    expect_claims<TokenClaims>(verify(R"({"exp":100})", 120, seconds(30)));
}

/// Signs `token_input` with `key` and SHA-256, as a JWS would (ES256: r || s, not DER).
std::string sign(EVP_PKEY* key, std::string_view input, bool es256) {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    std::size_t size = 0;
    EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(context, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string signature(size, '\0');
    EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &size,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(context);
    signature.resize(size);
    if (!es256) return signature;
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

std::string public_pem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return pem;
}

std::string token_with(EVP_PKEY* key, std::string_view alg, bool es256) {
    const std::string input =
            base64url_encode(std::string(R"({"alg":")") + std::string(alg) + "\"}") + "." +
            base64url_encode(R"({"sub":"bob","herald":{"publish":["*"]}})");
    return input + "." + base64url_encode(sign(key, input, es256));
}

TEST(Jwt, VerifiesRs256AndEs256WithPemPublicKeys) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> rsa(EVP_RSA_gen(2048), EVP_PKEY_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
    ASSERT_TRUE(rsa && ec);
    auto rs = JwtVerifier::with_public_key(JwtAlgorithm::rs256, public_pem(rsa.get()));
    auto es = JwtVerifier::with_public_key(JwtAlgorithm::es256, public_pem(ec.get()));
    ASSERT_TRUE(std::holds_alternative<JwtVerifier>(rs));
    ASSERT_TRUE(std::holds_alternative<JwtVerifier>(es));
    const auto& rs_verifier = std::get<JwtVerifier>(rs);
    const auto& es_verifier = std::get<JwtVerifier>(es);

    const auto rs_claims = expect_claims<TokenClaims>(
            rs_verifier.verify(token_with(rsa.get(), "RS256", false), 0, seconds(0)));
    EXPECT_EQ(rs_claims.sub, "bob");
    EXPECT_EQ(rs_claims.publish, std::vector<std::string>{"*"});
    expect_claims<TokenClaims>(
            es_verifier.verify(token_with(ec.get(), "ES256", true), 0, seconds(0)));

    // Each refuses the other's tokens, and HS256 tokens made with the public key as a secret
    // (the algorithm-confusion attack).
    EXPECT_EQ(error_of(rs_verifier.verify(token_with(ec.get(), "ES256", true), 0, seconds(0))),
              TokenError::wrong_algorithm);
    EXPECT_EQ(error_of(es_verifier.verify(token_with(ec.get(), "ES256", false), 0, seconds(0))),
              TokenError::bad_signature)
            << "a DER signature where r || s belongs";
    EXPECT_EQ(error_of(rs_verifier.verify(mint_hs256(public_pem(rsa.get()), R"({"sub":"x"})"), 0,
                                          seconds(0))),
              TokenError::wrong_algorithm);

    EXPECT_TRUE(std::holds_alternative<std::string>(
            JwtVerifier::with_public_key(JwtAlgorithm::rs256, public_pem(ec.get()))));
    EXPECT_TRUE(std::holds_alternative<std::string>(
            JwtVerifier::with_public_key(JwtAlgorithm::es256, "not a pem")));
}

TEST(Base64Url, RoundTripsAndRefusesOtherAlphabets) {
    for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd"}) {
        EXPECT_EQ(base64url_decode(base64url_encode(text)), text);
    }
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_decode("Zm9vYg=="), std::nullopt) << "padding";
    EXPECT_EQ(base64url_decode("+/8"), std::nullopt) << "the standard alphabet";
    EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt) << "a length no encoding has";
    EXPECT_EQ(base64url_decode("Zh"), std::nullopt) << "bits left over";
}

}  // namespace
}  // namespace herald::auth
