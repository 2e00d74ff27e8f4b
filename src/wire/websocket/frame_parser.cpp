#include "wire/websocket/frame_parser.hpp"

#include <algorithm>

namespace herald::wire::websocket {

namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kRsv2And3 = 0x30;
constexpr std::uint8_t kOpcodeBits = 0x0F;
constexpr std::uint8_t kMasked = 0x80;
constexpr std::uint8_t kLengthBits = 0x7F;
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;
constexpr std::size_t kMaskLength = 4;

// A header announces a length before sending it: reserve what it says up to this, so a client
// that announces 1 MiB and then sends nothing cannot make us hold 1 MiB.
constexpr std::size_t kMaxUpfrontReserve = 64 * kKiB;

bool is_known_opcode(std::uint8_t opcode) {
    return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);  // 3-7 and B-F are reserved
}

std::string_view as_view(std::span<char> bytes) {
    return {bytes.data(), bytes.size()};
}

}  // namespace

ParseEvent FrameParser::parse(std::span<char>& input) {
    if (stage_ == Stage::finished) {
        input = {};
        return {};
    }
    release_buffers();
    while (!input.empty()) {
        auto event = stage_ == Stage::header ? read_header(input) : read_payload(input);
        if (event) return *event;
    }
    return {};
}

void FrameParser::release_buffers() {
    // The previous event's payload is no longer needed. Buffers go back to the heap rather than
    // waiting for the next message: an idle connection should hold no payload memory
    // (docs/ARCHITECTURE.md).
    if (!in_message_) std::string().swap(message_);
    if (stage_ == Stage::header) std::string().swap(control_);
}

std::optional<ParseEvent> FrameParser::read_header(std::span<char>& input) {
    if (header_size_ < 2) {
        take_header_bytes(input, 2);
        if (header_size_ < 2) return std::nullopt;
        // The first two bytes settle most breaches: fail before waiting for more.
        if (const auto error = check_first_bytes()) return fail(*error);
    }
    take_header_bytes(input, header_length());
    if (header_size_ < header_length()) return std::nullopt;
    if (auto event = start_frame()) return event;
    return read_payload(input);  // even with no input left: a 0-byte payload completes now
}

void FrameParser::take_header_bytes(std::span<char>& input, std::size_t wanted) {
    const std::size_t n = std::min(wanted - header_size_, input.size());
    std::copy_n(input.data(), n, header_.data() + header_size_);
    header_size_ = static_cast<std::uint8_t>(header_size_ + n);
    input = input.subspan(n);
}

std::size_t FrameParser::header_length() const {
    const std::uint8_t length = header_[1] & kLengthBits;
    const std::size_t extended = length == kLength16 ? 2 : length == kLength64 ? 8 : 0;
    return 2 + extended + kMaskLength;
}

std::optional<CloseCode> FrameParser::check_first_bytes() const {
    const bool fin = (header_[0] & kFin) != 0;
    const bool rsv1 = (header_[0] & kRsv1) != 0;
    const std::uint8_t opcode_bits = header_[0] & kOpcodeBits;
    if ((header_[0] & kRsv2And3) != 0) return CloseCode::protocol_error;  // no extension uses them
    if (!is_known_opcode(opcode_bits)) return CloseCode::protocol_error;
    const auto opcode = static_cast<Opcode>(opcode_bits);
    if (is_control(opcode)) {
        // §5.5: control frames are never fragmented and carry at most 125 bytes.
        const bool short_length = (header_[1] & kLengthBits) <= kMaxControlPayload;
        if (!fin || rsv1 || !short_length) return CloseCode::protocol_error;
    } else if (opcode == Opcode::continuation) {
        // RFC 7692 §6.1: RSV1 marks only a message's first frame.
        if (!in_message_ || rsv1) return CloseCode::protocol_error;
    } else {
        if (in_message_) return CloseCode::protocol_error;  // fragments may not interleave
        if (rsv1 && !options_.deflate) return CloseCode::protocol_error;
    }
    // §5.1: a server must fail a connection whose client sends an unmasked frame.
    if ((header_[1] & kMasked) == 0) return CloseCode::protocol_error;
    return std::nullopt;
}

std::optional<ParseEvent> FrameParser::start_frame() {
    const std::uint8_t length7 = header_[1] & kLengthBits;
    std::size_t at = 2;
    std::uint64_t length = length7;
    if (length7 >= kLength16) {
        // Big-endian 16 or 64 bits. Non-minimal encodings are legal (Autobahn accepts them).
        const std::size_t bytes = length7 == kLength16 ? 2 : 8;
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            length = (length << 8) | header_[at++];
        }
        if (length >> 63 != 0) return fail(CloseCode::protocol_error);  // §5.2: top bit is 0
    }
    std::copy_n(header_.data() + at, kMaskLength, mask_.data());
    opcode_ = static_cast<Opcode>(header_[0] & kOpcodeBits);
    fin_ = (header_[0] & kFin) != 0;
    header_size_ = 0;

    if (opcode_ == Opcode::binary) {
        stage_ = Stage::finished;
        return ParseEvent{
                .status = ParseStatus::binary, .payload = {}, .code = CloseCode::unsupported_data};
    }
    if (!is_control(opcode_)) {
        // Checked on the header, before a byte of payload is buffered.
        if (length > options_.max_message_bytes - message_size_) {
            return fail(CloseCode::message_too_big);
        }
        if (opcode_ == Opcode::text) {
            in_message_ = true;
            message_compressed_ = (header_[0] & kRsv1) != 0;
            message_size_ = 0;
            utf8_.reset();
        }
        message_size_ += static_cast<std::size_t>(length);
    }
    frame_length_ = length;
    remaining_ = length;
    stage_ = Stage::payload;
    return std::nullopt;
}

std::optional<ParseEvent> FrameParser::read_payload(std::span<char>& input) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
    const std::span<char> chunk = input.first(n);
    input = input.subspan(n);
    apply_mask(chunk, mask_, static_cast<std::size_t>(frame_length_ - remaining_));
    const bool whole_frame = n == frame_length_;  // no earlier piece of this frame was buffered
    remaining_ -= n;
    if (remaining_ == 0) stage_ = Stage::header;
    return is_control(opcode_) ? control_chunk(as_view(chunk), whole_frame)
                               : data_chunk(as_view(chunk), whole_frame);
}

std::optional<ParseEvent> FrameParser::control_chunk(std::string_view chunk, bool whole_frame) {
    if (!whole_frame) control_.append(chunk);
    if (remaining_ > 0) return std::nullopt;
    const std::string_view payload = whole_frame ? chunk : std::string_view{control_};
    switch (opcode_) {
        case Opcode::ping: return ParseEvent{.status = ParseStatus::ping, .payload = payload};
        case Opcode::pong: return ParseEvent{.status = ParseStatus::pong, .payload = payload};
        case Opcode::close: return close_event(payload);
        default: return fail(CloseCode::protocol_error);  // unreachable: checked on the header
    }
}

ParseEvent FrameParser::close_event(std::string_view payload) {
    if (payload.empty()) {
        stage_ = Stage::finished;
        return ParseEvent{
                .status = ParseStatus::close, .payload = {}, .code = CloseCode::no_status_received};
    }
    if (payload.size() == 1) return fail(CloseCode::protocol_error);  // half a code
    const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                 static_cast<std::uint8_t>(payload[1]));
    if (!is_valid_close_code(code)) return fail(CloseCode::protocol_error);
    const std::string_view reason = payload.substr(2);
    // Bad UTF-8 in the reason is bad data like bad UTF-8 in a text message: 1007, as for text
    // (Autobahn 7.5.1 takes 1002 or 1007).
    if (!is_valid_utf8(reason)) return fail(CloseCode::invalid_frame_payload_data);
    stage_ = Stage::finished;
    return ParseEvent{
            .status = ParseStatus::close, .payload = reason, .code = static_cast<CloseCode>(code)};
}

std::optional<ParseEvent> FrameParser::data_chunk(std::string_view chunk, bool whole_frame) {
    // Checked as it arrives, so a bad byte fails now and not after the rest of the message.
    if (!message_compressed_ && !utf8_.feed(chunk)) {
        return fail(CloseCode::invalid_frame_payload_data);
    }
    // A one-frame message wholly in this input is handed out in place; anything else is copied.
    const bool in_place = whole_frame && fin_ && message_.empty();
    if (!in_place) {
        if (message_.capacity() < message_size_) {
            message_.reserve(std::min(message_size_, message_.size() + kMaxUpfrontReserve));
        }
        message_.append(chunk);
    }
    if (remaining_ > 0 || !fin_) return std::nullopt;
    if (!message_compressed_ && !utf8_.complete()) {
        return fail(CloseCode::invalid_frame_payload_data);  // ends inside a sequence
    }
    in_message_ = false;
    message_size_ = 0;
    return ParseEvent{.status = ParseStatus::text,
                      .payload = in_place ? chunk : std::string_view{message_},
                      .compressed = message_compressed_};
}

ParseEvent FrameParser::fail(CloseCode code) {
    stage_ = Stage::finished;
    return ParseEvent{.status = ParseStatus::error, .payload = {}, .code = code};
}

}  // namespace herald::wire::websocket
