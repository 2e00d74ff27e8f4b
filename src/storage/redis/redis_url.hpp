#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::storage::redis {

/// One server address of a Redis URL.
struct RedisEndpoint {
    std::string host;  // a name, an IPv4 address, or an IPv6 address without its brackets
    std::uint16_t port = 6379;

    bool operator==(const RedisEndpoint&) const = default;
};

/// `redis://[user:password@]host[:port][,host[:port]...][/db]`, parsed. Several hosts are seeds
/// of one Redis Cluster: any one of them will do to start. Credentials and db apply to all.
struct RedisUrl {
    std::vector<RedisEndpoint> seeds;  // never empty
    std::string user;                  // empty: AUTH with the password only (the default user)
    std::string password;              // empty: no AUTH
    int db = 0;                        // not 0: SELECT it after connecting (a cluster has only 0)
};

/// Parses `text`; throws std::invalid_argument saying what is wrong, the URL quoted without its
/// password. Start-up only: the URL comes from the configuration, and a bad one should stop the
/// server with that message rather than leave it retrying a connection that can never work.
/// User and password may be percent-encoded (`%40` for `@`); the last `@` ends them.
RedisUrl parse_redis_url(std::string_view text);

/// `host:port`, `[v6]:port` for an IPv6 address: for logs.
std::string to_string(const RedisEndpoint& endpoint);

}  // namespace herald::storage::redis
