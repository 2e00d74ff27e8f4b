#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/sizes.hpp"
#include "wire/websocket/frame.hpp"
#include "wire/websocket/masking.hpp"
#include "wire/websocket/utf8_validator.hpp"

namespace herald::wire::websocket {

/// What FrameParser::parse() found. After `binary`, `close` or `error` the parser is finished.
enum class [[nodiscard]] ParseStatus{
        need_more,  // the input is used up: call again with the next bytes
        text,       // a whole text message (fragments assembled)
        binary,  // the header of a binary message: Herald closes with 1003 (API.md); not buffered
        ping,      pong,
        close,  // the peer's close frame
        error,  // a breach of RFC 6455: close with `code`
};

struct ParseEvent {
    ParseStatus status = ParseStatus::need_more;
    /// text: the message; ping/pong: their payload; close: the reason. Valid until the next
    /// parse() call, and (when it points into the caller's input) while those bytes live.
    std::string_view payload;
    /// close: the peer's code (no_status_received for an empty close); error and binary: the
    /// code to close with.
    CloseCode code = CloseCode::normal_closure;
    /// text: RSV1 was set, the payload is still deflated and its UTF-8 unchecked (Inflater, then
    /// is_valid_utf8, which fails with 1007).
    bool compressed = false;
};

struct FrameParserOptions {
    /// limits.ws_max_frame_bytes (API.md): a message, all fragments together, above this is 1009.
    /// For a compressed message this bounds the deflated bytes; Inflater bounds the rest.
    std::size_t max_message_bytes = kMiB;
    /// permessage-deflate was negotiated: RSV1 may mark the first frame of a data message.
    bool deflate = false;
};

/// Incremental RFC 6455 parser for client-to-server frames. It takes whatever bytes a read
/// delivered (one byte or many frames) and always consumes all of them, so the caller never keeps
/// a partial frame around. Frames wholly inside the input are unmasked in place and handed out as
/// views into it: the common case (one read, one frame) copies nothing. Only a message split over
/// reads or fragments is assembled in a buffer, freed once the message is handled.
/// Control frames arriving between fragments are reported at once. No exceptions, no allocation
/// on the in-place path.
/// Thread: its connection's. Owned by the WebSocket session.
class FrameParser {
public:
    explicit FrameParser(FrameParserOptions options = {}) : options_(options) {}

    /// Parses from the front of `input`, unmasking it in place, and advances `input` past what it
    /// consumed: up to the end of the first frame that completes an event, or all of it (then
    /// need_more). Once finished it discards any input and answers need_more.
    [[nodiscard]] ParseEvent parse(std::span<char>& input);

    /// True after binary, close or error: nothing the peer sends afterwards matters.
    [[nodiscard]] bool finished() const { return stage_ == Stage::finished; }

private:
    enum class Stage : std::uint8_t { header, payload, finished };

    std::optional<ParseEvent> read_header(std::span<char>& input);
    std::optional<CloseCode> check_first_bytes() const;
    std::optional<ParseEvent> start_frame();
    std::optional<ParseEvent> read_payload(std::span<char>& input);
    std::optional<ParseEvent> control_chunk(std::string_view chunk, bool whole_frame);
    std::optional<ParseEvent> data_chunk(std::string_view chunk, bool whole_frame);
    ParseEvent close_event(std::string_view payload);
    ParseEvent fail(CloseCode code);
    void take_header_bytes(std::span<char>& input, std::size_t wanted);
    std::size_t header_length() const;
    void release_buffers();

    FrameParserOptions options_;
    Stage stage_ = Stage::header;

    // The frame being read.
    std::array<std::uint8_t, 14> header_{};  // 2 + 8 (length) + 4 (mask key) at most
    std::uint8_t header_size_ = 0;           // bytes of header_ received so far
    Opcode opcode_ = Opcode::continuation;
    bool fin_ = false;
    MaskKey mask_{};
    std::uint64_t frame_length_ = 0;
    std::uint64_t remaining_ = 0;  // payload bytes of this frame still to come

    // The data message in progress, possibly over several frames.
    bool in_message_ = false;
    bool message_compressed_ = false;
    std::size_t message_size_ = 0;  // declared by the headers so far: checked before buffering
    Utf8Validator utf8_;
    std::string message_;  // assembled payload when it cannot be handed out in place
    std::string control_;  // a control payload split over reads
};

}  // namespace herald::wire::websocket
