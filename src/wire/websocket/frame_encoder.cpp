#include "wire/websocket/frame_encoder.hpp"

#include <algorithm>
#include <span>

namespace herald::wire::websocket {

namespace {

/// The longest prefix of `text` of at most `limit` bytes that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence.
    while (end > 0 && (static_cast<std::uint8_t>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    return text.substr(0, end);
}

std::string control_frame(Opcode opcode, std::string_view payload) {
    return encode_frame(opcode, payload.substr(0, kMaxControlPayload));
}

}  // namespace

FrameHeader encode_frame_header(Opcode opcode, std::size_t payload_size, FrameFlags flags) {
    FrameHeader header;
    auto& bytes = header.bytes;
    bytes[0] = static_cast<char>((flags.fin ? 0x80 : 0) | (flags.compressed ? 0x40 : 0) |
                                 static_cast<std::uint8_t>(opcode));
    if (payload_size < 126) {
        bytes[1] = static_cast<char>(payload_size);
        header.size = 2;
    } else if (payload_size <= 0xFFFF) {
        bytes[1] = static_cast<char>(126);
        bytes[2] = static_cast<char>(payload_size >> 8);
        bytes[3] = static_cast<char>(payload_size & 0xFF);
        header.size = 4;
    } else {
        bytes[1] = static_cast<char>(127);
        const auto size = static_cast<std::uint64_t>(payload_size);
        for (int i = 0; i < 8; ++i) {
            bytes[2 + i] = static_cast<char>(size >> (56 - 8 * i));
        }
        header.size = 10;
    }
    return header;
}

std::string encode_frame(Opcode opcode, std::string_view payload, FrameFlags flags) {
    const FrameHeader header = encode_frame_header(opcode, payload.size(), flags);
    std::string frame;
    frame.reserve(header.size + payload.size());  // one allocation per frame
    frame.append(header.view());
    frame.append(payload);
    return frame;
}

std::string encode_text_frame(std::string_view payload) {
    return encode_frame(Opcode::text, payload);
}

std::string encode_close_frame(CloseCode code, std::string_view reason) {
    const auto value = static_cast<std::uint16_t>(code);
    const std::string_view cut = utf8_prefix(reason, kMaxCloseReason);
    std::string payload;
    payload.reserve(2 + cut.size());
    payload.push_back(static_cast<char>(value >> 8));
    payload.push_back(static_cast<char>(value & 0xFF));
    payload.append(cut);
    return encode_frame(Opcode::close, payload);
}

std::string encode_ping_frame(std::string_view payload) {
    return control_frame(Opcode::ping, payload);
}

std::string encode_pong_frame(std::string_view payload) {
    return control_frame(Opcode::pong, payload);
}

std::string encode_masked_frame(Opcode opcode, std::string_view payload, MaskKey key,
                                FrameFlags flags) {
    const FrameHeader header = encode_frame_header(opcode, payload.size(), flags);
    std::string frame;
    frame.reserve(header.size + key.size() + payload.size());
    frame.append(header.view());
    frame[1] = static_cast<char>(static_cast<std::uint8_t>(frame[1]) | 0x80);  // MASK bit
    frame.append(key.begin(), key.end());
    frame.append(payload);
    apply_mask(std::span<char>(frame).subspan(frame.size() - payload.size()), key);
    return frame;
}

}  // namespace herald::wire::websocket
