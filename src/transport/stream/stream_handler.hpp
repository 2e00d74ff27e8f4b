#pragma once

#include <cstddef>
#include <string>

#include "runtime/shard_id.hpp"
#include "transport/http/router.hpp"
#include "transport/stream/stream_settings.hpp"

namespace herald::transport {

/// GET /v1/channels/{c}/events (SSE) and /v1/channels/{c}/stream (NDJSON): checks the cursor
/// (`Last-Event-ID` wins over `after`), then turns the connection into a StreamSession.
void handle_stream(HttpContext& context, runtime::ShardId shard, const Request& request,
                   const RequestTarget& target, const std::string& channel, StreamFormat format,
                   const std::optional<std::string>& user, ExchangePtr exchange);

}  // namespace herald::transport
