#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY: kept out of this header

namespace herald::auth {

/// The algorithms API.md allows; the config pins one, and a token naming another is refused.
enum class JwtAlgorithm { hs256, rs256, es256 };

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name);  // "HS256", ...
std::string_view name_of(JwtAlgorithm algorithm);

/// What Herald reads of a token (API.md Auth): `sub`, `exp`, `nbf` and the `herald` claims.
struct TokenClaims {
    std::optional<std::string> sub;
    std::optional<std::int64_t> exp;  // seconds since the Unix epoch
    std::optional<std::int64_t> nbf;
    bool has_herald = false;  // without a `herald` object a token may neither read nor publish
    std::vector<std::string> subscribe;  // channel globs
    std::vector<std::string> publish;
    bool admin = false;
};

/// Why a token is refused; every one is a 401 (API.md).
enum class TokenError {
    missing,          // no token at all, where one is required
    malformed,        // not three base64url parts of JSON, or a claim of the wrong type
    wrong_algorithm,  // the header names another algorithm than the configured one, or none
    bad_signature,
    expired,        // past `exp` (plus the leeway)
    not_yet_valid,  // before `nbf` (minus the leeway)
};
std::string_view message_of(TokenError error);

/// Verifies tokens signed with one key by one algorithm (RFC 7515, 7518, 7519), with OpenSSL's
/// EVP directly: HS256 with a shared secret, RS256 and ES256 with a PEM public key.
/// Thread: any, once built; it is immutable.
class JwtVerifier {
public:
    static JwtVerifier hs256(std::string secret);
    /// An error text when `pem` holds no public key of the algorithm's kind (start-up only).
    static std::variant<JwtVerifier, std::string> with_public_key(JwtAlgorithm algorithm,
                                                                  std::string_view pem);

    JwtAlgorithm algorithm() const { return algorithm_; }

    /// `now`: seconds since the Unix epoch. `leeway` is allowed on both `exp` and `nbf`, for
    /// clocks a little apart.
    [[nodiscard]] std::variant<TokenClaims, TokenError> verify(std::string_view token,
                                                               std::int64_t now,
                                                               std::chrono::seconds leeway) const;

private:
    JwtVerifier(JwtAlgorithm algorithm, std::string secret, std::shared_ptr<evp_pkey_st> key)
        : algorithm_(algorithm), secret_(std::move(secret)), key_(std::move(key)) {}
    bool signature_matches(std::string_view signing_input, std::string_view signature) const;

    JwtAlgorithm algorithm_;
    std::string secret_;                // HS256
    std::shared_ptr<evp_pkey_st> key_;  // RS256, ES256
};

/// A token signed with HS256 over `claims_json` (a JSON object): `herald token` and tests.
std::string mint_hs256(std::string_view secret, std::string_view claims_json);

}  // namespace herald::auth
