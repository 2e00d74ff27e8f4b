#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/ip_network.hpp"
#include "util/sizes.hpp"

namespace herald::config {

using std::chrono::milliseconds;

/// One `[[webhooks]]` table of the config file, as written; the webhook layer validates it.
struct WebhookEndpointConfig {
    std::string url;
    std::vector<std::string> events;
    std::vector<std::string> channels;  // none: every channel
    std::string secret;
};

/// Everything `herald serve` can be told. Each member is one key of the TOML file, one flag and
/// one HERALD_* variable (see option_table.cpp); each default is API.md's.
struct Options {
    // [http]
    std::string listen = "0.0.0.0:8080";
    // None given: "*" in open mode, and no other origin with tokens (API.md Auth); see
    // effective_allowed_origins.
    std::optional<std::vector<std::string>> allowed_origins;
    std::vector<std::string> allowed_hosts;  // DNS rebinding: Host names Herald is served as
    std::size_t threads = 0;                 // 0: one per core
    milliseconds request_timeout{30'000};
    bool admin_remote = false;  // open mode: the admin API from other hosts too
    // Behind a load balancer (docs/ARCHITECTURE.md):
    bool proxy_protocol = false;             // every connection starts with a PROXY header
    std::vector<IpNetwork> trusted_proxies;  // peers whose X-Forwarded-For names the client
    // [storage]
    std::string backend = "sqlite";
    std::string path = "./data";
    std::string fsync = "normal";
    std::string fail_reads;  // tests only: history reads of channels with this prefix fail
    std::string redis;       // backend "redis": redis://[user:password@]host:port[,seed...][/db]
    milliseconds redis_timeout{2'000};
    // [cluster]
    std::string node_id;  // empty: host name and port
    milliseconds heartbeat{2'000};
    milliseconds vacated_delay{3'000};
    // [shutdown]
    milliseconds shutdown_timeout{10'000};
    // [history]
    std::size_t history_max_messages = 1000;
    milliseconds history_max_age{24 * 3'600'000};
    // [limits]
    std::size_t max_message_bytes = 64 * kKiB;
    std::size_t max_connections = 0;
    std::size_t max_connections_per_ip = 1000;  // an IPv6 client counts by its /64
    std::size_t max_header_count = 100;
    std::size_t max_long_poll_waiters = 10'000;
    milliseconds long_poll_max_wait{120'000};
    std::size_t send_queue_bytes = kMiB;
    std::size_t max_subscriptions = 100;
    std::size_t ws_max_frame_bytes = kMiB;
    // [sse]
    milliseconds sse_retry{2'000};
    milliseconds sse_keepalive{15'000};
    // [websocket]
    milliseconds ws_ping_interval{25'000};
    milliseconds ws_close_timeout{5'000};
    std::size_t publish_rate = 0;  // per connection, messages a second; 0: unlimited
    bool ws_deflate = false;
    // [log]
    std::string log_level = "info";

    // [auth] (API.md Auth): none of the keys given means open mode.
    std::string jwt_secret;      // HS256
    std::string jwt_public_key;  // a PEM file, for RS256 or ES256
    std::string jwt_algorithm = "HS256";
    milliseconds jwt_leeway{30'000};  // exp and nbf, for clocks a little apart
    // [tls]: both or neither; with them the port serves https and wss only.
    std::string tls_cert;  // PEM: the certificate, then any intermediates
    std::string tls_key;   // PEM: its private key
    // [[webhooks]]: file only (a list of tables has no flag form)
    std::vector<WebhookEndpointConfig> webhooks;
    // [webhook_delivery]
    double webhook_retry_scale = 1.0;         // multiplies every retry delay; < 1 for tests
    std::string webhook_ca_file;              // extra trusted CAs (PEM) for https endpoints
    std::size_t webhook_max_queued = 10'000;  // events per endpoint held in memory
    bool webhook_deny_private = false;        // no endpoint may reach the local network (SSRF)
};

/// A bad option, value or file: one line, for the user; `herald` exits with 2.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Raw values by key ("history.max_messages"), as flags or the environment gave them.
using RawValues = std::map<std::string, std::string>;

/// Defaults < file < environment < flags. `config_path` may be empty (no file).
/// Throws ConfigError.
Options resolve_options(const std::string& config_path, const RawValues& environment,
                        const RawValues& flags);

/// The HERALD_* variables of the process environment that name an option.
RawValues environment_values();

/// "host:port" or "[v6]:port" -> host and port. Throws ConfigError.
std::pair<std::string, unsigned short> split_listen(const std::string& listen);

}  // namespace herald::config
