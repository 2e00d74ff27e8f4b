#pragma once

#include <cstddef>
#include <string>

#include "runtime/shard_id.hpp"
#include "transport/http/router.hpp"

namespace herald::transport {

/// GET /v1/channels/{channel}/messages?after=N&limit=L[&wait=S]: short polling without
/// `wait`, long polling with it.
void handle_read(HttpContext& context, runtime::ShardId shard, const RequestTarget& target,
                 const std::string& channel, const std::optional<std::string>& user,
                 PollerPresence& presence, ExchangePtr exchange);

/// The answer to a read: 200 with its messages (and gap), or 503 when storage could not read.
Response read_answer(const std::string& channel, const core::ReadResult& read);

}  // namespace herald::transport
