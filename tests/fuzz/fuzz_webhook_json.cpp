// A webhook endpoint as the admin API receives it (POST /v1/webhooks): a spec, or the 400.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/webhook_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)herald::wire::parse_webhook_spec(
            std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
