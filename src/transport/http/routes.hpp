#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/access.hpp"
#include "runtime/shard_id.hpp"
#include "transport/http/http_types.hpp"
#include "transport/http/request_target.hpp"

namespace herald::transport {

struct HttpContext;
struct HttpClient;

/// Who may use a route, checked before its handler runs (API.md Auth).
enum class Access {
    anyone,     // health, readiness, metrics: no token
    token,      // any valid token (open mode: anyone)
    subscribe,  // the token's subscribe globs cover the route's channel
    publish,    // the token's publish globs cover the route's channel
    admin,      // an admin token; in open mode a client on this host (http.admin_remote)
};

/// What a handler gets: the request, its parsed target, who sent it (its connection's client
/// and its token's grant), and the path's variable parts (the channel of `{channel}`, the
/// segments after a trailing `*`).
struct RouteCall {
    HttpContext& context;
    runtime::ShardId shard;
    HttpClient& client;
    const Request& request;
    const RequestTarget& target;
    auth::GrantPtr grant;
    std::string channel;
    std::vector<std::string> rest;
};

/// One route: a method and a path pattern. Segments are literals, `{channel}` (one segment,
/// a valid channel name or 400), or a final `*` (any number of segments, handed over in
/// `rest`).
struct Route {
    http::verb method;
    std::string_view pattern;
    Access access;
    std::function<void(RouteCall&, ExchangePtr)> handle;
};

/// Everything the server serves under /v1 and at its top level, in one table: read it to
/// know the server's HTTP surface. The chat demo's static assets are served apart.
std::span<const Route> routes();

/// Whether `pattern` matches `path`; fills the channel and the rest when it does.
bool matches(std::string_view pattern, const std::vector<std::string>& path, std::string& channel,
             std::vector<std::string>& rest);

}  // namespace herald::transport
