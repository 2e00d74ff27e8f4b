#pragma once

#include <cstddef>

#include "runtime/shard_id.hpp"
#include "transport/http/router.hpp"

namespace herald::transport {

/// GET /v1/ws: checks the RFC 6455 handshake, answers 101 (echoing the `herald.v1` subprotocol
/// when offered) and turns the connection into a WsSession. A request that is not a valid
/// upgrade gets 400 (426 with the supported version for a wrong Sec-WebSocket-Version).
void handle_ws_upgrade(HttpContext& context, runtime::ShardId shard, const Request& request,
                       ExchangePtr exchange, auth::GrantPtr grant);

}  // namespace herald::transport
