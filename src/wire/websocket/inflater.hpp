#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/sizes.hpp"
#include "wire/websocket/frame.hpp"

struct z_stream_s;  // zlib's stream: kept out of this header

namespace herald::wire::websocket {

enum class [[nodiscard]] InflateStatus{
        ok,
        too_big,    // more than max_message_bytes once inflated: close with 1009
        bad_data,   // not valid DEFLATE data: close with 1007
        no_memory,  // zlib could not allocate: close with 1011
};

constexpr CloseCode close_code_of(InflateStatus status) {
    switch (status) {
        case InflateStatus::ok: return CloseCode::normal_closure;
        case InflateStatus::too_big: return CloseCode::message_too_big;
        case InflateStatus::bad_data: return CloseCode::invalid_frame_payload_data;
        case InflateStatus::no_memory: return CloseCode::internal_error;
    }
    return CloseCode::internal_error;  // only for a value outside the enum
}

/// Inflates permessage-deflate client messages (RFC 7692 §7.2.2). zlib's state (~7 KiB, plus a
/// 32 KiB window once data flows) is set up on the first message.
/// With client context takeover each message may refer back to the ones before: keep one
/// Inflater per connection. With client_no_context_takeover every message stands alone and the
/// stream is reset after each, so one Inflater may serve every such connection of a shard.
/// Thread: one (its connection's or its shard's).
class Inflater {
public:
    /// `max_message_bytes`: limits.ws_max_frame_bytes, applied to the inflated size.
    explicit Inflater(bool no_context_takeover, std::size_t max_message_bytes = kMiB);
    ~Inflater();
    Inflater(Inflater&&) noexcept;
    Inflater& operator=(Inflater&&) noexcept;

    /// Replaces `out` with the inflation of one whole compressed message (the payload of a
    /// compressed text event; its UTF-8 is for the caller to check). Stops as soon as the output
    /// passes the limit. After a failure the context is reset: the connection is to be closed.
    [[nodiscard]] InflateStatus inflate(std::string_view message, std::string& out);

    /// Frees zlib's memory. With context takeover only between connections, since the next
    /// message may refer to this window.
    void release() { stream_.reset(); }

private:
    struct StreamDeleter {
        void operator()(z_stream_s* stream) const;
    };
    bool ensure_stream();
    InflateStatus feed(std::string_view input, std::string& out, std::size_t& produced);

    bool no_context_takeover_;
    bool stream_ended_ = false;  // the peer closed its DEFLATE stream with a final block
    std::size_t max_message_bytes_;
    std::unique_ptr<z_stream_s, StreamDeleter> stream_;
};

}  // namespace herald::wire::websocket
