#include "cli/bench/ws_client_frames.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "wire/websocket/frame_encoder.hpp"

namespace herald::cli::bench {

namespace {

bool is_known(ws::Opcode opcode) {
    switch (opcode) {
        case ws::Opcode::continuation:
        case ws::Opcode::text:
        case ws::Opcode::binary:
        case ws::Opcode::close:
        case ws::Opcode::ping:
        case ws::Opcode::pong: return true;
    }
    return false;
}

ServerFrameStatus status_of(ws::Opcode data_opcode) {
    return data_opcode == ws::Opcode::binary ? ServerFrameStatus::binary : ServerFrameStatus::text;
}

}  // namespace

std::span<char> ServerFrameReader::prepare() {
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(capacity_);
    if (begin_ == end_) begin_ = end_ = 0;
    const std::size_t unread = end_ - begin_;
    if (wanted_ > capacity_ || (begin_ == 0 && end_ == capacity_)) {
        // One frame is bigger than the buffer (or append() filled it): grow, unread bytes first.
        const std::size_t grown = std::max(wanted_, 2 * capacity_);
        auto bigger = std::make_unique_for_overwrite<char[]>(grown);
        std::memcpy(bigger.get(), buffer_.get() + begin_, unread);
        buffer_ = std::move(bigger);
        capacity_ = grown;
        begin_ = 0;
        end_ = unread;
    } else if (begin_ > 0 && (capacity_ - end_ < capacity_ / 4 || begin_ + wanted_ > capacity_)) {
        // A partial frame at the end: move it to the front, so reads stay large. It is at most
        // one frame, so this copies little.
        std::memmove(buffer_.get(), buffer_.get() + begin_, unread);
        begin_ = 0;
        end_ = unread;
    }
    return {buffer_.get() + end_, capacity_ - end_};
}

void ServerFrameReader::append(std::string_view bytes) {
    while (!bytes.empty()) {
        const std::span<char> room = prepare();
        const std::size_t n = std::min(room.size(), bytes.size());
        std::memcpy(room.data(), bytes.data(), n);
        commit(n);
        bytes.remove_prefix(n);
    }
}

void ServerFrameReader::reset() {
    begin_ = end_ = wanted_ = 0;
    failed_ = false;
    in_message_ = false;
    message_compressed_ = false;
    message_.clear();
}

ServerFrame ServerFrameReader::next() {
    while (!failed_) {
        const std::size_t available = end_ - begin_;
        if (available < 2) return {};
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(buffer_.get() + begin_);
        const bool fin = (bytes[0] & 0x80) != 0;
        const auto opcode = static_cast<ws::Opcode>(bytes[0] & 0x0F);
        const bool rsv1 = (bytes[0] & 0x40) != 0;
        if ((bytes[0] & 0x30) != 0 || (rsv1 && !compression_)) {
            return fail("RSV bits set, but no extension was negotiated");
        }
        if (rsv1 && (ws::is_control(opcode) || opcode == ws::Opcode::continuation)) {
            return fail("RSV1 on a control or continuation frame");
        }
        if ((bytes[1] & 0x80) != 0) return fail("the server masked a frame");
        if (!is_known(opcode)) return fail("reserved opcode");
        std::uint64_t length = bytes[1] & 0x7F;
        const std::size_t header = length == 127 ? 10 : length == 126 ? 4 : 2;
        if (available < header) {
            wanted_ = header;
            return {};
        }
        if (header > 2) {
            length = 0;
            for (std::size_t i = 2; i < header; ++i)
                length = (length << 8) | bytes[i];
        }
        if (ws::is_control(opcode) && (!fin || length > ws::kMaxControlPayload)) {
            return fail("a control frame fragmented or over 125 bytes");
        }
        if (length > max_message_bytes_) return fail("a frame over the message limit");
        const std::size_t total = header + static_cast<std::size_t>(length);
        if (available < total) {
            wanted_ = total;
            return {};
        }
        wanted_ = 0;
        const std::string_view payload(buffer_.get() + begin_ + header, total - header);
        begin_ += total;
        switch (opcode) {
            case ws::Opcode::ping: return {ServerFrameStatus::ping, payload};
            case ws::Opcode::pong: return {ServerFrameStatus::pong, payload};
            case ws::Opcode::close: return close_frame(payload);
            default: break;
        }
        bool more = false;
        ServerFrame frame = data_frame(opcode, fin, rsv1, payload, more);
        if (!more) return frame;
    }
    return {};
}

ServerFrame ServerFrameReader::data_frame(ws::Opcode opcode, bool fin, bool compressed,
                                          std::string_view payload, bool& more) {
    if (opcode == ws::Opcode::continuation) {
        if (!in_message_) return fail("a continuation frame outside a message");
        if (message_.size() + payload.size() > max_message_bytes_) {
            return fail("a message over the limit");
        }
        message_.append(payload);
        more = !fin;
        if (more) return {};
        in_message_ = false;
        ServerFrame whole{status_of(message_opcode_), message_};
        whole.compressed = message_compressed_;
        return whole;
    }
    if (in_message_) return fail("a new message inside a fragmented one");
    if (fin) {
        ServerFrame whole{status_of(opcode), payload};
        whole.compressed = compressed;
        return whole;
    }
    // The first fragment: its bytes must outlive the buffer's next compaction.
    in_message_ = true;
    message_opcode_ = opcode;
    message_compressed_ = compressed;
    message_.assign(payload);
    more = true;
    return {};
}

ServerFrame ServerFrameReader::close_frame(std::string_view payload) {
    if (payload.size() == 1) return fail("a close frame of one byte");
    ServerFrame frame{ServerFrameStatus::close, {}};
    if (payload.size() >= 2) {
        frame.close_code = static_cast<std::uint16_t>(static_cast<std::uint8_t>(payload[0]) << 8 |
                                                      static_cast<std::uint8_t>(payload[1]));
        frame.payload = payload.substr(2);
    }
    return frame;
}

ServerFrame ServerFrameReader::fail(std::string_view what) {
    failed_ = true;
    return {ServerFrameStatus::error, what};
}

std::string encode_client_frame(ws::Opcode opcode, std::string_view payload) {
    // The key only has to be unpredictable to web content (RFC 6455 §10.3), which the bench
    // is not: a seeded engine per thread is enough, and cheap.
    thread_local std::mt19937 engine{std::random_device{}()};
    const std::uint32_t bits = engine();
    const ws::MaskKey key{static_cast<std::uint8_t>(bits), static_cast<std::uint8_t>(bits >> 8),
                          static_cast<std::uint8_t>(bits >> 16),
                          static_cast<std::uint8_t>(bits >> 24)};
    return encode_client_frame(opcode, payload, key);
}

std::string encode_client_frame(ws::Opcode opcode, std::string_view payload, ws::MaskKey key) {
    return ws::encode_masked_frame(opcode, payload, key);
}

}  // namespace herald::cli::bench
