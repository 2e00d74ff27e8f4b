// The WebSocket frame parser and the inflater on arbitrary client bytes: the first byte picks the
// options (permessage-deflate, a small message bound) and the size of each read, the rest is the
// stream. Every event must be one a session can act on; compressed messages are inflated and
// their UTF-8 checked, as the session does.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wire/websocket/frame_parser.hpp"
#include "wire/websocket/inflater.hpp"
#include "wire/websocket/utf8_validator.hpp"

namespace ws = herald::wire::websocket;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t knobs = data[0];
    ws::FrameParserOptions options;
    options.deflate = (knobs & 1) != 0;
    options.max_message_bytes = (knobs & 2) != 0 ? 64 : 1 << 16;
    const std::size_t read_size = 1 + (knobs >> 2);  // 1..64 bytes a read
    ws::FrameParser parser(options);
    ws::Inflater inflater(/*no_context_takeover=*/true, 1 << 16);
    std::vector<char> bytes(data + 1, data + size);
    std::string inflated;
    for (std::size_t at = 0; at < bytes.size() && !parser.finished(); at += read_size) {
        std::span<char> input(bytes.data() + at, std::min(read_size, bytes.size() - at));
        while (!input.empty() || !parser.finished()) {
            const ws::ParseEvent event = parser.parse(input);
            if (event.status == ws::ParseStatus::need_more) break;
            if (event.status == ws::ParseStatus::text && event.compressed) {
                if (inflater.inflate(event.payload, inflated) == ws::InflateStatus::ok) {
                    (void)ws::is_valid_utf8(inflated);
                }
            }
            if (parser.finished()) break;
        }
    }
    return 0;
}
