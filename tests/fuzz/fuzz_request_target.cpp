// A request line's target (`/v1/channels/a%3Ab/messages?after=3&limit=50&wait=30`): split and
// percent-decoded, or refused with a 400; its numeric parameters read as the handlers read them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/http/request_target.hpp"

namespace transport = herald::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto target = transport::parse_request_target(
            std::string_view(reinterpret_cast<const char*>(data), size));
    if (!target) return 0;
    for (const char* name : {"after", "limit", "wait"}) {
        std::uint64_t value = 0;
        (void)transport::read_number(*target, name, value);
    }
    (void)target->param("prefix");
    (void)target->param("token");
    return 0;
}
