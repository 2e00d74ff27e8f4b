#pragma once

#include <cstdint>
#include <string_view>

namespace herald::wire::websocket {

/// Incremental UTF-8 check (RFC 3629, Unicode Table 3-7): a text message is validated fragment by
/// fragment as bytes arrive, so a bad byte fails the connection at once, not at the end of a long
/// message (Autobahn 6.4.x). Rejects overlong forms, surrogates and code points above U+10FFFF.
/// Thread: any; it is three bytes of plain state.
class Utf8Validator {
public:
    /// False at the first byte that cannot continue a well-formed sequence; the validator then
    /// stays failed until reset().
    [[nodiscard]] bool feed(std::string_view bytes);
    /// True when no sequence is left open: call at the end of the message.
    [[nodiscard]] bool complete() const { return pending_ == 0 && !failed_; }
    void reset() { *this = Utf8Validator{}; }

private:
    bool feed_byte(std::uint8_t byte);

    std::uint8_t pending_ = 0;  // continuation bytes still expected
    std::uint8_t low_ = 0x80;   // allowed range of the next continuation byte: narrower than
    std::uint8_t high_ = 0xBF;  // 80..BF right after E0, ED, F0, F4 (overlong, surrogate, > 10FFFF)
    bool failed_ = false;
};

/// Whether `bytes` is a whole, well-formed UTF-8 string.
[[nodiscard]] bool is_valid_utf8(std::string_view bytes);

}  // namespace herald::wire::websocket
