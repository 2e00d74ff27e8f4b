#include "wire/websocket/utf8_validator.hpp"

#include <cstddef>
#include <cstring>

namespace herald::wire::websocket {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

/// Length of the run of ASCII bytes at the front of `bytes`, eight at a time: Herald's text
/// frames are JSON, mostly ASCII, so this loop does nearly all of the work.
std::size_t ascii_prefix(std::string_view bytes) {
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes.data() + i, sizeof word);
        if ((word & kHighBits) != 0) break;
    }
    while (i < bytes.size() && static_cast<unsigned char>(bytes[i]) < 0x80) {
        ++i;
    }
    return i;
}

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) {
    if (failed_) return false;
    std::size_t i = 0;
    while (i < bytes.size()) {
        if (pending_ == 0) {
            i += ascii_prefix(bytes.substr(i));
            if (i == bytes.size()) break;
        }
        if (!feed_byte(static_cast<std::uint8_t>(bytes[i]))) {
            failed_ = true;
            return false;
        }
        ++i;
    }
    return true;
}

bool Utf8Validator::feed_byte(std::uint8_t byte) {
    if (pending_ > 0) {
        if (byte < low_ || byte > high_) return false;
        --pending_;
        low_ = 0x80;
        high_ = 0xBF;
        return true;
    }
    // A lead byte: how many continuations follow, and the range of the first one.
    if (byte < 0x80) return true;
    if (byte < 0xC2) return false;  // stray continuation, or C0/C1 (overlong 2-byte forms)
    if (byte < 0xE0) {
        pending_ = 1;
    } else if (byte < 0xF0) {
        pending_ = 2;
        if (byte == 0xE0) low_ = 0xA0;   // below: overlong 3-byte forms
        if (byte == 0xED) high_ = 0x9F;  // above: UTF-16 surrogates D800..DFFF
    } else if (byte < 0xF5) {
        pending_ = 3;
        if (byte == 0xF0) low_ = 0x90;   // below: overlong 4-byte forms
        if (byte == 0xF4) high_ = 0x8F;  // above: beyond U+10FFFF
    } else {
        return false;  // F5..FF never appear in UTF-8
    }
    return true;
}

bool is_valid_utf8(std::string_view bytes) {
    Utf8Validator validator;
    return validator.feed(bytes) && validator.complete();
}

}  // namespace herald::wire::websocket
