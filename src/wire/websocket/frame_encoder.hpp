#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wire/websocket/frame.hpp"
#include "wire/websocket/masking.hpp"

namespace herald::wire::websocket {

/// The header of an unmasked (server-to-client) frame: 2 bytes, +2 or +8 for the length. Small
/// enough to live on the stack next to a gather write of header + shared payload.
struct FrameHeader {
    std::array<char, 10> bytes{};
    std::uint8_t size = 0;

    [[nodiscard]] std::string_view view() const { return {bytes.data(), size}; }
};

struct FrameFlags {
    bool fin = true;
    bool compressed = false;  // RSV1: permessage-deflate, first frame of a message only
};

/// The minimal header for a payload of `payload_size` bytes (RFC 6455 §5.2).
[[nodiscard]] FrameHeader encode_frame_header(Opcode opcode, std::size_t payload_size,
                                              FrameFlags flags = {});

/// Header and payload in one string: the form built once per message and shared by every
/// subscriber's send queue (docs/ARCHITECTURE.md, encode once).
[[nodiscard]] std::string encode_frame(Opcode opcode, std::string_view payload,
                                       FrameFlags flags = {});
[[nodiscard]] std::string encode_text_frame(std::string_view payload);

/// A close frame: the code, then `reason` cut to 123 bytes at a UTF-8 boundary.
[[nodiscard]] std::string encode_close_frame(CloseCode code, std::string_view reason = {});
/// Ping and pong cut their payload to 125 bytes; a pong echoes its ping's payload (§5.5.3).
[[nodiscard]] std::string encode_ping_frame(std::string_view payload = {});
[[nodiscard]] std::string encode_pong_frame(std::string_view payload = {});

/// A masked client-to-server frame, for `herald` as a client and for tests of the parser.
[[nodiscard]] std::string encode_masked_frame(Opcode opcode, std::string_view payload, MaskKey key,
                                              FrameFlags flags = {});

}  // namespace herald::wire::websocket
