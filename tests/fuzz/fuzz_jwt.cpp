// A bearer token (HS256, the default algorithm): claims, or the token error the client gets.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const herald::auth::JwtVerifier verifier =
            herald::auth::JwtVerifier::hs256("fuzzing secret of thirty-two bytes!!");
    (void)verifier.verify(std::string_view(reinterpret_cast<const char*>(data), size),
                          1'800'000'000, std::chrono::seconds(30));
    return 0;
}
