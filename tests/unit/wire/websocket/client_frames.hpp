#pragma once

// Test support: client frames to feed FrameParser, and a loop that feeds them in pieces.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/websocket/frame_encoder.hpp"
#include "wire/websocket/frame_parser.hpp"

namespace herald::wire::websocket::testing {

/// The masking key of RFC 6455 §5.7's examples.
inline constexpr MaskKey kKey{0x37, 0xfa, 0x21, 0x3d};

inline std::string client_frame(Opcode opcode, std::string_view payload, FrameFlags flags = {}) {
    return encode_masked_frame(opcode, payload, kKey, flags);
}

inline std::string text(std::string_view payload) {
    return client_frame(Opcode::text, payload);
}

/// Bytes as written, for headers no encoder would make.
inline std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int value : values) {
        out.push_back(static_cast<char>(value));
    }
    return out;
}

/// A masked frame with a hand-made header: first byte, then the 7-bit length field and the
/// extended length bytes exactly as given (so non-minimal or oversized lengths can be written).
inline std::string raw_frame(std::uint8_t first, std::uint8_t length7, std::string_view extended,
                             std::string_view payload) {
    std::string frame = bytes({first, 0x80 | length7});
    frame.append(extended);
    frame.append(kKey.begin(), kKey.end());
    std::string masked(payload);
    apply_mask(masked, kKey);
    return frame + masked;
}

/// One ParseEvent with its payload copied, since the parser's views do not outlive the call.
struct Event {
    ParseStatus status;
    std::string payload;
    CloseCode code;
    bool compressed;

    bool operator==(const Event&) const = default;

    friend void PrintTo(const Event& event, std::ostream* out) {
        *out << "{status " << static_cast<int>(event.status) << ", code "
             << static_cast<int>(event.code) << (event.compressed ? ", compressed" : "")
             << ", payload " << event.payload.size() << " bytes \"" << event.payload.substr(0, 40)
             << (event.payload.size() > 40 ? "...\"}" : "\"}");
    }
};

inline Event text_event(std::string_view payload) {
    return {ParseStatus::text, std::string(payload), CloseCode::normal_closure, false};
}
inline Event error_event(CloseCode code) {
    return {ParseStatus::error, "", code, false};
}

/// Feeds `wire` to `parser` in pieces of `step` bytes (each in a buffer of its own, as separate
/// reads would be) and returns every event up to the first terminal one.
inline std::vector<Event> feed(FrameParser& parser, std::string_view wire,
                               std::size_t step = SIZE_MAX) {
    std::vector<Event> events;
    for (std::size_t at = 0; at < wire.size(); at += step) {
        std::string piece(wire.substr(at, step));
        std::span<char> input(piece);
        for (;;) {
            const ParseEvent event = parser.parse(input);
            if (event.status == ParseStatus::need_more) break;
            events.push_back(
                    {event.status, std::string(event.payload), event.code, event.compressed});
        }
        if (!input.empty()) events.push_back(error_event(CloseCode::internal_error));  // a bug
    }
    return events;
}

inline std::vector<Event> parse(std::string_view wire, FrameParserOptions options = {},
                                std::size_t step = SIZE_MAX) {
    FrameParser parser(options);
    return feed(parser, wire, step);
}

}  // namespace herald::wire::websocket::testing
