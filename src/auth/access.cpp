#include "auth/access.hpp"

#include <algorithm>

namespace herald::auth {

bool glob_matches(std::string_view glob, std::string_view channel) {
    if (!glob.empty() && glob.back() == '*') {
        return channel.starts_with(glob.substr(0, glob.size() - 1));
    }
    return glob == channel;
}

namespace {

bool any_matches(const std::vector<std::string>& globs, std::string_view channel) {
    return std::any_of(globs.begin(), globs.end(),
                       [channel](const std::string& glob) { return glob_matches(glob, channel); });
}

}  // namespace

bool Grant::may_subscribe(std::string_view channel) const {
    return open_ || any_matches(claims_.subscribe, channel);
}

bool Grant::may_publish(std::string_view channel) const {
    return open_ || any_matches(claims_.publish, channel);
}

std::variant<GrantPtr, TokenError> Authenticator::authenticate(std::string_view token,
                                                               std::int64_t now) const {
    if (!verifier_) return open_grant_;
    if (token.empty()) return TokenError::missing;
    auto verified = verifier_->verify(token, now, leeway_);
    if (auto* error = std::get_if<TokenError>(&verified)) return *error;
    return std::make_shared<const Grant>(std::move(std::get<TokenClaims>(verified)));
}

}  // namespace herald::auth
