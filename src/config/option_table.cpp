#include "config/option_table.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/duration.hpp"

namespace herald::config {
namespace {

using Error = std::optional<std::string>;

std::optional<std::size_t> to_size(const std::string& text) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

/// An unsigned integer option within [min, max].
OptionSpec number(std::string key, std::string help, std::size_t Options::*member, std::size_t min,
                  std::size_t max) {
    return OptionSpec{std::move(key),
                      "N",
                      std::move(help),
                      {},
                      [member, min, max](Options& options, const std::string& text) -> Error {
                          auto value = to_size(text);
                          if (!value || *value < min || *value > max) {
                              return "'" + text + "' is not an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max);
                          }
                          options.*member = *value;
                          return std::nullopt;
                      },
                      [member](const Options& options) { return std::to_string(options.*member); }};
}

/// A duration option ("15s", "24h", "500ms") within [min, max].
OptionSpec duration(std::string key, std::string help, milliseconds Options::*member,
                    milliseconds min, milliseconds max) {
    return OptionSpec{
            std::move(key),
            "DURATION",
            std::move(help),
            {},
            [member, min, max](Options& options, const std::string& text) -> Error {
                auto value = parse_duration(text);
                if (!value || *value < min || *value > max) {
                    return "'" + text + "' is not a duration from " + format_duration(min) +
                           " to " + format_duration(max) + " (like 500ms, 15s, 2m, 24h)";
                }
                options.*member = *value;
                return std::nullopt;
            },
            [member](const Options& options) { return format_duration(options.*member); }};
}

/// A text option, one of `choices` when given.
OptionSpec text(std::string key, std::string help, std::string Options::*member,
                std::vector<std::string> choices = {}) {
    return OptionSpec{std::move(key),
                      choices.empty() ? "TEXT" : "CHOICE",
                      std::move(help),
                      {},
                      [member, choices](Options& options, const std::string& value) -> Error {
                          if (!choices.empty() &&
                              std::find(choices.begin(), choices.end(), value) == choices.end()) {
                              std::string list;
                              for (const auto& choice : choices) {
                                  if (!list.empty()) list += " | ";
                                  list += choice;
                              }
                              return "'" + value + "' is not one of " + list;
                          }
                          if (value.empty()) return std::string("the value is empty");
                          options.*member = value;
                          return std::nullopt;
                      },
                      [member](const Options& options) { return options.*member; }};
}

/// A text option that may be empty, meaning "not set" (a secret, a key file).
OptionSpec optional_text(std::string key, std::string help, std::string Options::*member) {
    return OptionSpec{std::move(key),
                      "TEXT",
                      std::move(help),
                      {},
                      [member](Options& options, const std::string& value) -> Error {
                          options.*member = value;
                          return std::nullopt;
                      },
                      [member](const Options& options) { return options.*member; }};
}

/// A yes/no option: true | false (also 1 | 0, on | off, yes | no, for environment variables).
OptionSpec boolean(std::string key, std::string help, bool Options::*member) {
    return OptionSpec{
            std::move(key),
            "BOOL",
            std::move(help),
            {},
            [member](Options& options, const std::string& value) -> Error {
                if (value == "true" || value == "1" || value == "on" || value == "yes") {
                    options.*member = true;
                } else if (value == "false" || value == "0" || value == "off" || value == "no") {
                    options.*member = false;
                } else {
                    return "'" + value + "' is not true or false";
                }
                return std::nullopt;
            },
            [member](const Options& options) {
                return std::string(options.*member ? "true" : "false");
            }};
}

/// A factor in (0, 1] for the webhook retry delays (tests shorten them).
OptionSpec retry_scale() {
    return OptionSpec{"webhook_delivery.retry_scale",
                      "FACTOR",
                      "Multiplies every webhook retry delay (1 s, 5 s, 30 s, ...); below 1 only "
                      "for tests",
                      {},
                      [](Options& options, const std::string& value) -> Error {
                          double factor = 0;
                          const auto [end, ec] = std::from_chars(
                                  value.data(), value.data() + value.size(), factor);
                          if (ec != std::errc{} || end != value.data() + value.size() ||
                              !(factor > 0.0) || factor > 1.0) {
                              return "'" + value + "' is not a number above 0, at most 1";
                          }
                          options.webhook_retry_scale = factor;
                          return std::nullopt;
                      },
                      [](const Options& options) {
                          std::string text = std::to_string(options.webhook_retry_scale);
                          text.erase(text.find_last_not_of('0') + 1);
                          if (text.ends_with('.')) text.pop_back();
                          return text;
                      }};
}

OptionSpec with_aliases(OptionSpec spec, std::vector<std::string> aliases) {
    spec.aliases = std::move(aliases);
    return spec;
}

/// "a, b,c" as {"a", "b", "c"}: how a list is given by flag and environment (TOML arrays are
/// joined the same way before they get here).
std::vector<std::string> split_list(const std::string& value) {
    std::vector<std::string> list;
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string item = value.substr(start, comma - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) list.push_back(item);
        start = comma + 1;
    }
    return list;
}

std::string join_list(const std::vector<std::string>& list) {
    std::string joined;
    for (const auto& item : list) {
        if (!joined.empty()) joined += ',';
        joined += item;
    }
    return joined;
}

OptionSpec origins() {
    return OptionSpec{"http.allowed_origins",
                      "LIST",
                      "Origins whose pages may call the API (CORS) and open WebSockets, "
                      "comma-separated; * for any. Default: * in open mode, none but the "
                      "server's own with tokens",
                      {},
                      [](Options& options, const std::string& value) -> Error {
                          options.allowed_origins = split_list(value);
                          return std::nullopt;
                      },
                      [](const Options& options) {
                          if (!options.allowed_origins) return std::string("(* in open mode)");
                          return join_list(*options.allowed_origins);
                      }};
}

OptionSpec hosts() {
    return OptionSpec{"http.allowed_hosts",
                      "LIST",
                      "Host names (with or without a port) Herald is served as, comma-separated: "
                      "WebSockets and the admin API then need a Host from it or a loopback one "
                      "(DNS rebinding). Default: none, any Host",
                      {},
                      [](Options& options, const std::string& value) -> Error {
                          options.allowed_hosts = split_list(value);
                          return std::nullopt;
                      },
                      [](const Options& options) { return join_list(options.allowed_hosts); }};
}

OptionSpec listen() {
    return OptionSpec{"http.listen",
                      "HOST:PORT",
                      "Address and port to serve HTTP on",
                      {"--listen"},
                      [](Options& options, const std::string& value) -> Error {
                          try {
                              split_listen(value);
                          } catch (const ConfigError& error) {
                              return error.what();
                          }
                          options.listen = value;
                          return std::nullopt;
                      },
                      [](const Options& options) { return options.listen; }};
}

std::vector<OptionSpec> make_table() {
    using std::chrono::hours;
    using std::chrono::seconds;
    constexpr std::size_t kHuge = std::size_t{1} << 40;
    return {
            listen(),
            origins(),
            hosts(),
            number("http.threads", "Worker threads (shards); 0 for one per core", &Options::threads,
                   0, 256),
            duration("http.request_timeout",
                     "Longest wait for a whole request, idle keep-alive time included",
                     &Options::request_timeout, milliseconds(100), hours(1)),
            boolean("http.admin_remote",
                    "Without an auth key, let clients on other hosts use the admin API "
                    "(/v1/webhooks); off: loopback clients only",
                    &Options::admin_remote),
            boolean("http.proxy_protocol",
                    "Every connection must start with a PROXY protocol header (v1 or v2, as "
                    "HAProxy or nginx's stream proxy_protocol send), whose client address then "
                    "counts for limits.max_connections_per_ip, logs and loopback checks; others "
                    "are closed",
                    &Options::proxy_protocol),
            OptionSpec{"http.trusted_proxies",
                       "LIST",
                       "Proxies (CIDR blocks or addresses, comma-separated) whose X-Forwarded-For "
                       "names the client; their own connections are not bounded by "
                       "limits.max_connections_per_ip. Default: none, the header is ignored",
                       {},
                       [](Options& options, const std::string& value) -> Error {
                           std::vector<IpNetwork> networks;
                           for (const auto& item : split_list(value)) {
                               std::string error;
                               auto network = IpNetwork::parse(item, error);
                               if (!network) return error;
                               networks.push_back(*network);
                           }
                           options.trusted_proxies = std::move(networks);
                           return std::nullopt;
                       },
                       [](const Options& options) {
                           std::string list;
                           for (const auto& network : options.trusted_proxies)
                               list.append(list.empty() ? "" : ",").append(network.to_string());
                           return list;
                       }},
            with_aliases(text("storage.backend", "Where messages are kept", &Options::backend,
                              {"sqlite", "memory", "redis"}),
                         {"--storage"}),
            with_aliases(
                    text("storage.path", "Directory of the SQLite files (herald.db, history.db)",
                         &Options::path),
                    {"--data"}),
            text("storage.fsync",
                 "normal: a commit survives a crash of Herald; always: also a power cut",
                 &Options::fsync, {"normal", "always"}),
            with_aliases(optional_text("storage.redis",
                                       "Redis for storage.backend redis (cluster mode): "
                                       "redis://[user:password@]host:port[,host:port...][/db]",
                                       &Options::redis),
                         {"--redis"}),
            duration("storage.redis_timeout",
                     "How long a Redis command may take before publishes and reads get 503",
                     &Options::redis_timeout, milliseconds(10), hours(1)),
            optional_text("cluster.node_id",
                          "This node's name in the cluster (GET /v1/cluster); default: host "
                          "name and port",
                          &Options::node_id),
            duration("cluster.heartbeat",
                     "How often a node refreshes its entry; it leaves after 3 missed",
                     &Options::heartbeat, milliseconds(100), hours(1)),
            duration("shutdown.timeout",
                     "How long a stopping server waits for its connections to end gracefully "
                     "before it exits anyway",
                     &Options::shutdown_timeout, milliseconds(0), hours(1)),
            duration("cluster.vacated_delay",
                     "How long a channel must have no subscriber on any node before "
                     "channel.vacated is sent",
                     &Options::vacated_delay, milliseconds(0), hours(1)),
            optional_text("storage.fail_reads",
                          "Fault injection, only for tests: history reads of the channels whose "
                          "name starts with this prefix fail as a disk error would",
                          &Options::fail_reads),
            number("history.max_messages", "Messages kept per channel; older ones are trimmed",
                   &Options::history_max_messages, 1, 10'000'000),
            duration("history.max_age", "Age after which messages are trimmed",
                     &Options::history_max_age, seconds(1), hours(24 * 3650)),
            number("limits.max_message_bytes", "Largest publish body, in bytes (bigger: 413)",
                   &Options::max_message_bytes, 16, 64 * kMiB),
            number("limits.max_connections",
                   "Open connections at most; 0 for no bound but the "
                   "open-file limit",
                   &Options::max_connections, 0, kHuge),
            number("limits.max_connections_per_ip",
                   "Open connections from one client address (IPv6: one /64) at most; more get "
                   "429; 0 for no bound (behind a proxy: http.proxy_protocol, "
                   "http.trusted_proxies)",
                   &Options::max_connections_per_ip, 0, 1'000'000),
            number("limits.max_header_count",
                   "Header fields a request may have (more: 431); 0 for no bound but the 8 KiB "
                   "header size",
                   &Options::max_header_count, 0, 10'000),
            number("limits.max_long_poll_waiters",
                   "Long polls held at once on the whole server; more get 503 with Retry-After; "
                   "0 for no bound but the connections",
                   &Options::max_long_poll_waiters, 0, 1'000'000),
            duration("limits.long_poll_max_wait", "Longest a long poll is held (wait=S is capped)",
                     &Options::long_poll_max_wait, seconds(1), hours(1)),
            number("limits.send_queue_bytes",
                   "Bytes a streaming connection may have unsent before it is closed as a slow "
                   "consumer",
                   &Options::send_queue_bytes, 4 * kKiB, 1024 * kMiB),
            number("limits.publish_rate",
                   "Publishes a second per connection (a token bucket; 0: unlimited)",
                   &Options::publish_rate, 0, 1'000'000),
            number("limits.max_subscriptions",
                   "Channels per connection: a WebSocket's subscriptions, and the channels a "
                   "polling connection is present in (the oldest poll is left first)",
                   &Options::max_subscriptions, 1, 100'000),
            number("limits.ws_max_frame_bytes",
                   "Largest WebSocket message a client may send, in bytes (bigger: close 1009)",
                   &Options::ws_max_frame_bytes, 1 * kKiB, 64 * kMiB),
            duration("sse.retry", "Reconnect delay SSE clients are told (the retry: field)",
                     &Options::sse_retry, milliseconds(0), hours(1)),
            duration("sse.keepalive",
                     "Idle time after which SSE and HTTP streams get a keepalive (a comment line "
                     "or an empty line)",
                     &Options::sse_keepalive, milliseconds(100), hours(1)),
            duration("websocket.ping_interval",
                     "Time between the server's pings; a peer missing two pongs "
                     "is dropped",
                     &Options::ws_ping_interval, milliseconds(100), hours(1)),
            duration("websocket.close_timeout",
                     "Longest a closing WebSocket may take to send its close frame and hear the "
                     "peer end; then its socket is closed (a peer that stopped reading)",
                     &Options::ws_close_timeout, milliseconds(100), hours(1)),
            boolean("websocket.deflate",
                    "Compress WebSocket messages (permessage-deflate) for clients that offer it",
                    &Options::ws_deflate),
            optional_text("auth.jwt_secret", "HS256 secret that signs tokens; none: open mode",
                          &Options::jwt_secret),
            optional_text("auth.jwt_public_key",
                          "PEM file of the public key for RS256 or ES256 tokens",
                          &Options::jwt_public_key),
            text("auth.jwt_algorithm", "The one algorithm tokens must be signed with",
                 &Options::jwt_algorithm, {"HS256", "RS256", "ES256"}),
            duration("auth.leeway", "Clock skew allowed on a token's exp and nbf",
                     &Options::jwt_leeway, milliseconds(0), hours(1)),
            optional_text("tls.cert",
                          "PEM file of the server certificate (and its chain); with tls.key the "
                          "port serves https and wss only",
                          &Options::tls_cert),
            optional_text("tls.key", "PEM file of the private key of tls.cert", &Options::tls_key),
            text("log.level", "Log detail", &Options::log_level,
                 {"trace", "debug", "info", "warn", "error"}),
            retry_scale(),
            number("webhook_delivery.max_queued",
                   "Webhook events per endpoint held in memory; a longer queue waits in the "
                   "database and is read back as it drains",
                   &Options::webhook_max_queued, 8, 10'000'000),
            OptionSpec{"webhook_delivery.ca_file",
                       "FILE",
                       "PEM file of certificate authorities to trust for https webhook "
                       "endpoints, besides the system's (a private CA); empty: the system's only",
                       {},
                       [](Options& options, const std::string& value) -> Error {
                           options.webhook_ca_file = value;
                           return std::nullopt;
                       },
                       [](const Options& options) { return options.webhook_ca_file; }},
            boolean("webhook_delivery.deny_private",
                    "Refuse webhook URLs whose host is, or resolves to, a loopback, private, "
                    "link-local or unspecified address (checked at creation and at each "
                    "delivery); off: admins are trusted with the network",
                    &Options::webhook_deny_private),
    };
}

}  // namespace

const std::vector<OptionSpec>& option_table() {
    static const std::vector<OptionSpec> table = make_table();
    return table;
}

std::string flag_of(std::string_view key) {
    std::string flag = "--";
    for (char c : key)
        flag += (c == '.' || c == '_') ? '-' : c;
    return flag;
}

std::string env_of(std::string_view key) {
    std::string name = "HERALD_";
    for (char c : key) {
        name += (c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

}  // namespace herald::config
