#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/jwt.hpp"

namespace herald::auth {

/// Whether `channel` falls under `glob` (API.md: `room:*` style, `*` matches any suffix; a glob
/// without `*` names one channel).
bool glob_matches(std::string_view glob, std::string_view channel);

/// What one request or connection may do: its token's claims, or anything in open mode.
/// Thread: any; immutable.
class Grant {
public:
    static Grant open() { return Grant(); }
    explicit Grant(TokenClaims claims) : open_(false), claims_(std::move(claims)) {}

    bool may_subscribe(std::string_view channel) const;
    bool may_publish(std::string_view channel) const;
    bool is_admin() const { return open_ || claims_.admin; }
    /// The token's `sub`; none in open mode (API.md: presence shows `null`).
    const std::optional<std::string>& user() const { return claims_.sub; }
    /// When the token stops being valid, in seconds since the Unix epoch.
    std::optional<std::int64_t> expires() const { return claims_.exp; }

private:
    Grant() = default;
    bool open_ = true;
    TokenClaims claims_;
};

using GrantPtr = std::shared_ptr<const Grant>;

/// Open mode, or tokens checked by one verifier (API.md Auth).
/// Thread: any, once built.
class Authenticator {
public:
    /// Open mode: no key configured; every request may do anything.
    Authenticator() : open_grant_(std::make_shared<const Grant>(Grant::open())) {}
    Authenticator(JwtVerifier verifier, std::chrono::seconds leeway)
        : verifier_(std::move(verifier)), leeway_(leeway) {}

    bool open() const { return !verifier_.has_value(); }
    std::chrono::seconds leeway() const { return leeway_; }

    /// `token` empty: none was given (refused unless open). `now`: Unix seconds.
    [[nodiscard]] std::variant<GrantPtr, TokenError> authenticate(std::string_view token,
                                                                  std::int64_t now) const;

private:
    std::optional<JwtVerifier> verifier_;
    std::chrono::seconds leeway_{0};
    GrantPtr open_grant_;  // shared by every connection in open mode
};

}  // namespace herald::auth
