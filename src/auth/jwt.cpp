#include "auth/jwt.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include "auth/base64url.hpp"

namespace herald::auth {
namespace json = boost::json;

namespace {

constexpr std::size_t kEs256PartBytes = 32;  // r and s of a P-256 signature, each

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size);
    return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

/// JWS carries an ES256 signature as r and s, 32 bytes each (RFC 7518 section 3.4); OpenSSL
/// verifies the DER form.
std::optional<std::string> es256_to_der(std::string_view signature) {
    if (signature.size() != 2 * kEs256PartBytes) return std::nullopt;
    const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(bytes, kEs256PartBytes, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + kEs256PartBytes, kEs256PartBytes, nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    const int size = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);  // frees r and s too
    if (size <= 0) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    return out;
}

bool verify_sha256(evp_pkey_st* key, std::string_view data, std::string_view signature) {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    if (context == nullptr) return false;
    const bool ok =
            EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
    EVP_MD_CTX_free(context);
    return ok;
}

std::optional<json::object> decode_object(std::string_view part) {
    auto text = base64url_decode(part);
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    json::value value = json::parse(*text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

/// The largest NumericDate accepted (API.md Auth): every exact integer of a double, and far
/// enough from the int64 limit that adding a leeway cannot overflow.
constexpr std::int64_t kMaxNumericDate = std::int64_t{1} << 53;

/// A NumericDate claim (RFC 7519 section 2), held to an integer in 0..2^53: a fraction, a
/// negative or a larger number (`1e300`, 2^63) makes the token malformed, so no conversion or
/// comparison below can overflow.
bool read_time(const json::object& claims, std::string_view name,
               std::optional<std::int64_t>& out) {
    const json::value* value = claims.if_contains(name);
    if (value == nullptr) return true;
    if (value->is_int64() && value->as_int64() >= 0 && value->as_int64() <= kMaxNumericDate) {
        out = value->as_int64();
        return true;
    }
    if (value->is_uint64() && value->as_uint64() <= std::uint64_t{kMaxNumericDate}) {
        out = static_cast<std::int64_t>(value->as_uint64());
        return true;
    }
    return false;
}

bool read_globs(const json::object& herald, std::string_view name, std::vector<std::string>& out) {
    const json::value* value = herald.if_contains(name);
    if (value == nullptr) return true;
    if (!value->is_array()) return false;
    for (const json::value& item : value->as_array()) {
        if (!item.is_string()) return false;
        out.emplace_back(item.as_string());
    }
    return true;
}

std::optional<TokenClaims> read_claims(const json::object& claims) {
    TokenClaims out;
    if (const json::value* sub = claims.if_contains("sub")) {
        if (!sub->is_string()) return std::nullopt;
        out.sub = std::string(sub->as_string());
    }
    std::optional<std::int64_t> issued_at;  // not used, but held to the same rule
    if (!read_time(claims, "exp", out.exp) || !read_time(claims, "nbf", out.nbf) ||
        !read_time(claims, "iat", issued_at)) {
        return std::nullopt;
    }
    if (const json::value* herald = claims.if_contains("herald")) {
        if (!herald->is_object()) return std::nullopt;
        const json::object& object = herald->as_object();
        out.has_herald = true;
        if (!read_globs(object, "subscribe", out.subscribe) ||
            !read_globs(object, "publish", out.publish)) {
            return std::nullopt;
        }
        if (const json::value* admin = object.if_contains("admin")) {
            if (!admin->is_bool()) return std::nullopt;
            out.admin = admin->as_bool();
        }
    }
    return out;
}

}  // namespace

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) {
    if (name == "HS256") return JwtAlgorithm::hs256;
    if (name == "RS256") return JwtAlgorithm::rs256;
    if (name == "ES256") return JwtAlgorithm::es256;
    return std::nullopt;
}

std::string_view name_of(JwtAlgorithm algorithm) {
    switch (algorithm) {
        case JwtAlgorithm::hs256: return "HS256";
        case JwtAlgorithm::rs256: return "RS256";
        case JwtAlgorithm::es256: return "ES256";
    }
    return "?";
}

std::string_view message_of(TokenError error) {
    switch (error) {
        case TokenError::missing: return "a token is required (Authorization: Bearer, or ?token=)";
        case TokenError::malformed: return "the token is malformed";
        case TokenError::wrong_algorithm:
            return "the token is not signed with the configured algorithm";
        case TokenError::bad_signature: return "the token's signature does not match";
        case TokenError::expired: return "the token has expired";
        case TokenError::not_yet_valid: return "the token is not valid yet";
    }
    return "the token is refused";
}

JwtVerifier JwtVerifier::hs256(std::string secret) {
    return JwtVerifier(JwtAlgorithm::hs256, std::move(secret), nullptr);
}

std::variant<JwtVerifier, std::string> JwtVerifier::with_public_key(JwtAlgorithm algorithm,
                                                                    std::string_view pem) {
    if (algorithm == JwtAlgorithm::hs256) return std::string("HS256 takes a secret, not a key");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (key == nullptr) return std::string("no PEM public key found");
    std::shared_ptr<evp_pkey_st> owned(key, EVP_PKEY_free);
    const int wanted = algorithm == JwtAlgorithm::rs256 ? EVP_PKEY_RSA : EVP_PKEY_EC;
    if (EVP_PKEY_get_base_id(key) != wanted) {
        return std::string("the key is not ") +
               (algorithm == JwtAlgorithm::rs256 ? "an RSA key" : "an EC key");
    }
    if (algorithm == JwtAlgorithm::es256 && EVP_PKEY_get_bits(key) != 256) {
        return std::string("ES256 needs a P-256 key");
    }
    return JwtVerifier(algorithm, {}, std::move(owned));
}

bool JwtVerifier::signature_matches(std::string_view signing_input,
                                    std::string_view signature) const {
    switch (algorithm_) {
        case JwtAlgorithm::hs256: {
            const std::string expected = hmac_sha256(secret_, signing_input);
            return expected.size() == signature.size() &&
                   CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
        }
        case JwtAlgorithm::rs256: return verify_sha256(key_.get(), signing_input, signature);
        case JwtAlgorithm::es256: {
            const auto der = es256_to_der(signature);
            return der && verify_sha256(key_.get(), signing_input, *der);
        }
    }
    return false;
}

std::variant<TokenClaims, TokenError> JwtVerifier::verify(std::string_view token, std::int64_t now,
                                                          std::chrono::seconds leeway) const {
    const std::size_t first = token.find('.');
    const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return TokenError::malformed;
    }
    const auto header = decode_object(token.substr(0, first));
    const auto payload = decode_object(token.substr(first + 1, second - first - 1));
    const auto signature = base64url_decode(token.substr(second + 1));
    if (!header || !payload || !signature) return TokenError::malformed;
    // The configured algorithm decides, never the token: "none" or another one is refused
    // before any key is used (the classic algorithm-confusion attacks).
    const json::value* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string()) return TokenError::malformed;
    if (alg->as_string() != name_of(algorithm_)) return TokenError::wrong_algorithm;
    if (!signature_matches(token.substr(0, second), *signature)) return TokenError::bad_signature;
    auto claims = read_claims(*payload);
    if (!claims) return TokenError::malformed;
    // exp and nbf are within 0..2^53 and now is a clock reading, so their differences cannot
    // overflow, whatever the leeway.
    const std::int64_t slack = leeway.count();
    if (claims->exp && now - *claims->exp >= slack) return TokenError::expired;
    if (claims->nbf && *claims->nbf - now > slack) return TokenError::not_yet_valid;
    return std::move(*claims);
}

std::string mint_hs256(std::string_view secret, std::string_view claims_json) {
    std::string token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    token += '.';
    token += base64url_encode(claims_json);
    const std::string mac = hmac_sha256(secret, token);
    token += '.';
    token += base64url_encode(mac);
    return token;
}

}  // namespace herald::auth
