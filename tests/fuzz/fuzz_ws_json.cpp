// A WebSocket text message as a client frame (API.md WebSocket): parsed, or refused with the
// frame error the session sends back; never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/ws_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)herald::wire::parse_ws_frame(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
