#pragma once

#include <cstddef>
#include <string>

#include "runtime/shard_id.hpp"
#include "transport/http/router.hpp"

namespace herald::transport {

/// The admin API of webhooks (API.md, Webhooks): `path` is what follows /v1/webhooks.
/// Answers 404 and 405 for paths and methods it does not serve.
void handle_webhooks(HttpContext& context, runtime::ShardId shard, const Request& request,
                     const std::vector<std::string>& path, ExchangePtr exchange);

}  // namespace herald::transport
