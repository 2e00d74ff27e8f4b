#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/sizes.hpp"
#include "wire/websocket/frame.hpp"
#include "wire/websocket/masking.hpp"

namespace herald::cli::bench {

namespace ws = wire::websocket;

/// What ServerFrameReader::next() found. After `error` the reader is finished.
enum class ServerFrameStatus : std::uint8_t {
    need_more,  // no whole frame left in the buffer: read more
    text,       // a whole text message, fragments assembled
    binary,     // a whole binary message (neither Herald nor Nchan sends one)
    ping,
    pong,
    close,
    error,  // the server broke RFC 6455: give up on this connection
};

struct ServerFrame {
    ServerFrameStatus status = ServerFrameStatus::need_more;
    /// text, binary: the message; ping, pong: their payload; close: the reason; error: what was
    /// wrong. Valid until the next prepare(), append() or reset().
    std::string_view payload;
    std::uint16_t close_code = static_cast<std::uint16_t>(ws::CloseCode::no_status_received);
    /// text, binary: RSV1 was set on the message's first frame (permessage-deflate): the payload
    /// is still compressed.
    bool compressed = false;
};

/// The client side of RFC 6455 for the bench's subscribers: it reads server-to-client frames
/// (unmasked; 7, 16 and 64-bit lengths; text messages in fragments with control frames between
/// them) out of one reusable buffer that reads go straight into (`prepare`, then `commit`).
/// A frame wholly in the buffer is handed out as a view: at over a million deliveries a second
/// the load generator must cost less per message than the server, so there is no copy and no
/// allocation per frame, and no UTF-8 check (the payload is only scanned for numbers). Only a
/// fragmented message is assembled. Beast's websocket::stream is the tool for the CLI's own
/// `sub` and `pub`; it costs too much here.
/// Thread: its owner's.
class ServerFrameReader {
public:
    explicit ServerFrameReader(std::size_t buffer_bytes = 16 * kKiB,
                               std::size_t max_message_bytes = 16 * kMiB)
        : capacity_(buffer_bytes), max_message_bytes_(max_message_bytes) {}

    /// Free space at the end of the buffer for the next read: the buffer is allocated on first
    /// use, unread bytes move to its front, and it grows when one frame needs more room.
    [[nodiscard]] std::span<char> prepare();
    /// `bytes` of the span from prepare() were filled.
    void commit(std::size_t bytes) { end_ += bytes; }
    /// Copies `bytes` in: what arrived together with the handshake's response, and tests.
    void append(std::string_view bytes);
    /// The next event in the bytes committed so far.
    [[nodiscard]] ServerFrame next();
    /// Forgets everything buffered: a new connection starts a new frame stream.
    void reset();
    /// permessage-deflate was agreed: RSV1 may mark the first frame of a data message.
    void allow_compression(bool allowed) { compression_ = allowed; }

private:
    ServerFrame fail(std::string_view what);
    ServerFrame data_frame(ws::Opcode opcode, bool fin, bool compressed, std::string_view payload,
                           bool& more);
    ServerFrame close_frame(std::string_view payload);

    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_;
    std::size_t max_message_bytes_;
    std::size_t begin_ = 0;   // first unread byte
    std::size_t end_ = 0;     // one past the last committed byte
    std::size_t wanted_ = 0;  // bytes the frame at begin_ needs in all, when known
    bool failed_ = false;
    bool in_message_ = false;  // a fragmented message is being assembled
    bool message_compressed_ = false;
    bool compression_ = false;
    ws::Opcode message_opcode_ = ws::Opcode::text;
    std::string message_;
};

/// A masked client frame (RFC 6455 §5.3) under a fresh random key: what a client must send.
[[nodiscard]] std::string encode_client_frame(ws::Opcode opcode, std::string_view payload);
/// The same under a given key, for tests.
[[nodiscard]] std::string encode_client_frame(ws::Opcode opcode, std::string_view payload,
                                              ws::MaskKey key);

}  // namespace herald::cli::bench
