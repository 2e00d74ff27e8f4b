// A publish request's body (POST /v1/channels/{c}/messages): a request, or the 400 it gets.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/publish_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)herald::wire::parse_publish_body(
            std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    return 0;
}
