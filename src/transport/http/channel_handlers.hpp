#pragma once

#include <cstddef>
#include <string>

#include "transport/http/router.hpp"

namespace herald::transport {

/// POST /v1/channels/{channel}/messages
void handle_publish(HttpContext& context, std::size_t shard, const Request& request,
                    const std::string& channel, ExchangePtr exchange);

/// GET /v1/channels/{channel}
void handle_channel_info(HttpContext& context, std::size_t shard, const std::string& channel,
                         ExchangePtr exchange);

/// GET /v1/channels/{channel}/presence
void handle_presence(HttpContext& context, std::size_t shard, const std::string& channel,
                     ExchangePtr exchange);

/// GET /v1/channels?prefix=P
void handle_channel_list(HttpContext& context, std::size_t shard, const RequestTarget& target,
                         auth::GrantPtr grant, ExchangePtr exchange);

}  // namespace herald::transport
