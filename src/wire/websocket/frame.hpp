#pragma once

#include <cstddef>
#include <cstdint>

namespace herald::wire::websocket {

/// RFC 6455 §5.2 opcodes; every other value is reserved and fails the connection with 1002.
enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// RFC 6455 §7.4 close codes (and IANA's 1012-1014). A peer's close may carry any valid code,
/// including application codes 3000-4999, so a value outside the names below is legitimate.
enum class CloseCode : std::uint16_t {
    normal_closure = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,            // Herald: binary messages (API.md)
    no_status_received = 1005,          // reported for an empty close payload; never sent
    abnormal_closure = 1006,            // never sent: means "no close frame at all"
    invalid_frame_payload_data = 1007,  // bad UTF-8 or bad deflate data
    policy_violation = 1008,
    message_too_big = 1009,  // limits.ws_max_frame_bytes
    mandatory_extension = 1010,
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,  // Herald: slow consumer (API.md, Flow control)
    bad_gateway = 1014,
};

/// Control frames carry at most 125 payload bytes (RFC 6455 §5.5).
inline constexpr std::size_t kMaxControlPayload = 125;
/// A close payload is a 2-byte code, then a reason of at most 123 bytes.
inline constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;

constexpr bool is_control(Opcode opcode) {
    return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

/// Whether a peer may put `code` in a close frame: 1004-1006 and 1015 are reserved for local use,
/// the rest of 1000-2999 is unassigned, 3000-4999 belongs to libraries and applications.
constexpr bool is_valid_close_code(std::uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

}  // namespace herald::wire::websocket
