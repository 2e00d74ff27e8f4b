#pragma once

#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;  // zlib's stream: kept out of this header

namespace herald::wire::websocket {

/// Compresses whole messages for permessage-deflate (RFC 7692) with no server context takeover:
/// every message starts from an empty window, so one compressed frame is valid for every
/// subscriber that negotiated the extension, whatever it received before.
/// Thread: one (keep one per shard; zlib's ~256 KiB of state is set up on first use and reused).
class Deflater {
public:
    /// `level`: zlib's 0..9; 6 is zlib's default balance. The window is kServerWindowBits.
    explicit Deflater(int level = 6);
    ~Deflater();
    Deflater(Deflater&&) noexcept;
    Deflater& operator=(Deflater&&) noexcept;

    /// Appends `message` compressed to `out`: raw DEFLATE, flushed with Z_SYNC_FLUSH, without
    /// the 00 00 ff ff that flush ends with (RFC 7692 §7.2.1). False only if zlib fails (out of
    /// memory); `out` is then as it was.
    [[nodiscard]] bool compress(std::string_view message, std::string& out);

private:
    struct StreamDeleter {
        void operator()(z_stream_s* stream) const;
    };
    bool ensure_stream();

    int level_;
    std::unique_ptr<z_stream_s, StreamDeleter> stream_;
};

/// The text frame every permessage-deflate subscriber gets for `payload`, built once per message:
/// compressed with RSV1 when that is shorter, else the plain frame (RFC 7692 lets each message
/// choose), which is also the answer if zlib fails.
[[nodiscard]] std::string encode_deflated_text_frame(Deflater& deflater, std::string_view payload);

}  // namespace herald::wire::websocket
