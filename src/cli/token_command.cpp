#include <iostream>

#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "cli/commands.hpp"
#include "util/clock.hpp"
#include "util/duration.hpp"

namespace herald::cli {

namespace json = boost::json;

int run_token(const TokenArguments& arguments) {
    if (arguments.secret.empty()) {
        std::cerr << "herald token: no secret: give --secret, or auth.jwt_secret in --config, "
                     "or HERALD_AUTH_JWT_SECRET\n";
        return 2;
    }
    const auto ttl = parse_duration(arguments.ttl);
    if (!ttl) {
        std::cerr << "herald token: --ttl '" << arguments.ttl << "' is not a duration (like 1h)\n";
        return 2;
    }
    json::object herald;
    herald["subscribe"] = json::value_from(arguments.subscribe);
    herald["publish"] = json::value_from(arguments.publish);
    herald["admin"] = arguments.admin;
    json::object claims;
    if (!arguments.sub.empty()) claims["sub"] = arguments.sub;
    const std::int64_t now = unix_millis() / 1000;
    claims["iat"] = now;
    claims["exp"] = now + std::chrono::duration_cast<std::chrono::seconds>(*ttl).count();
    claims["herald"] = std::move(herald);
    std::cout << auth::mint_hs256(arguments.secret, json::serialize(claims)) << "\n";
    return 0;
}

}  // namespace herald::cli
