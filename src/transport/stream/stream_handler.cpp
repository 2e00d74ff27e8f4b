#include "transport/stream/stream_handler.hpp"

#include <charconv>
#include <optional>
#include <sstream>

#include "transport/http/responses.hpp"
#include "transport/stream/stream_session.hpp"

namespace herald::transport {

using wire::ApiError;

namespace {

/// The cursor of a stream request; `valid` false when it is malformed.
struct Cursor {
    bool valid = true;
    std::optional<core::Seq> after;
};

Cursor read_cursor(const Request& request, const RequestTarget& target) {
    // EventSource sends the last `id:` it saw when it reconnects: that wins over `after`.
    const auto last_event_id = request["Last-Event-ID"];
    if (!last_event_id.empty()) {
        core::Seq seq = 0;
        const char* end = last_event_id.data() + last_event_id.size();
        auto [ptr, ec] = std::from_chars(last_event_id.data(), end, seq);
        if (ec != std::errc{} || ptr != end) return Cursor{false, std::nullopt};
        return Cursor{true, seq};
    }
    std::uint64_t after = 0;
    switch (read_number(target, "after", after)) {
        case NumberParam::absent: return Cursor{true, std::nullopt};
        case NumberParam::valid: return Cursor{true, after};
        case NumberParam::invalid: return Cursor{false, std::nullopt};
    }
    return Cursor{false, std::nullopt};
}

Response stream_head(StreamFormat format, unsigned version) {
    Response head{http::status::ok, version};
    head.set(http::field::content_type,
             format == StreamFormat::sse ? "text/event-stream" : "application/x-ndjson");
    head.set(http::field::cache_control, "no-cache");
    head.set("X-Accel-Buffering", "no");  // nginx in front: pass each event at once
    if (version >= 11) {
        head.chunked(true);
    } else {
        head.keep_alive(false);  // HTTP/1.0: the body ends with the connection
    }
    return head;
}

std::string serialize(const Response& head) {
    std::ostringstream out;
    out << head.base();
    return std::move(out).str();
}

}  // namespace

void handle_stream(HttpContext& context, runtime::ShardId shard, const Request& request,
                   const RequestTarget& target, const std::string& channel, StreamFormat format,
                   const std::optional<std::string>& user, ExchangePtr exchange) {
    const Cursor cursor = read_cursor(request, target);
    if (!cursor.valid) {
        return exchange->respond(error_response(
                ApiError::bad_request, "after and Last-Event-ID must be non-negative integers"));
    }
    Response head = stream_head(format, request.version());
    std::optional<HandedOver> handed = exchange->hand_over(head);
    if (!handed) return;
    // Bytes the client sent after its request are dropped: a stream reads no more requests.
    StreamSession::Setup setup{
            format, request.version() >= 11,        shard, channel, serialize(head),
            user,   std::move(handed->address_slot)};
    auto session = std::make_shared<StreamSession>(
            std::move(handed->socket), std::move(setup), context.channels, context.services(shard),
            context.streams, context.connections, context.metrics.shard(shard));
    session->start(cursor.after);
}

}  // namespace herald::transport
