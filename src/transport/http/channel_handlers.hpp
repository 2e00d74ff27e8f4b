#pragma once

#include <cstddef>
#include <string>

#include "runtime/shard_id.hpp"
#include "transport/http/router.hpp"

namespace herald::transport {

/// POST /v1/channels/{channel}/messages
/// `publish_rate`: the connection's limits.publish_rate.
void handle_publish(HttpContext& context, runtime::ShardId shard, const Request& request,
                    const std::string& channel, TokenBucket& publish_rate, ExchangePtr exchange);

/// GET /v1/channels/{channel}
void handle_channel_info(HttpContext& context, runtime::ShardId shard, const std::string& channel,
                         ExchangePtr exchange);

/// GET /v1/channels/{channel}/presence
void handle_presence(HttpContext& context, runtime::ShardId shard, const std::string& channel,
                     ExchangePtr exchange);

/// GET /v1/channels?prefix=P
void handle_channel_list(HttpContext& context, runtime::ShardId shard, const RequestTarget& target,
                         auth::GrantPtr grant, ExchangePtr exchange);

}  // namespace herald::transport
