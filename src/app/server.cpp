#include "app/server.hpp"

#include <csignal>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>

#include "auth/access.hpp"
#include "cluster/node_registry.hpp"
#include "cluster/redis_counts.hpp"
#include "cluster/redis_presence.hpp"
#include "core/channel_service.hpp"
#include "core/hub.hpp"
#include "core/presence.hpp"
#include "core/server_metrics.hpp"
#include "core/single_node_directory.hpp"
#include "runtime/shard_group.hpp"
#include "storage/memory/memory_log.hpp"
#include "storage/redis/redis_log.hpp"
#include "storage/sqlite/sqlite_log.hpp"
#include "transport/http/http_server.hpp"
#include "transport/tls/tls_context.hpp"
#include "util/duration.hpp"
#include "webhook/service.hpp"

namespace herald::app {

namespace net = boost::asio;

namespace {

/// This machine's name, for the default cluster.node_id.
std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "herald";
    return name;
}

/// The message log and the webhook outbox: one backend for both, except in cluster mode, where
/// the outbox is this node's own, in memory (docs/CLUSTER.md, Webhooks).
struct Storage {
    std::unique_ptr<storage::MessageLog> log;
    storage::Outbox* outbox = nullptr;
    std::unique_ptr<storage::MemoryLog> node_outbox;  // cluster mode only
    const MetricsSource* metrics = nullptr;           // the backend's own, if it keeps any
    storage::redis::RedisLog* redis = nullptr;        // cluster mode only
};

Storage open_storage(const config::Options& options) {
    storage::RetentionPolicy retention;
    retention.max_messages = options.history_max_messages;
    retention.max_age = options.history_max_age;
    if (options.backend == "redis") {
        if (options.redis.empty()) {
            throw config::ConfigError(
                    "config: storage.backend redis needs storage.redis "
                    "(--redis redis://host:port)");
        }
        storage::redis::RedisLogOptions redis;
        try {
            redis.url = storage::redis::parse_redis_url(options.redis);
        } catch (const std::invalid_argument& error) {
            throw config::ConfigError(std::string("config: storage.redis: ") + error.what());
        }
        redis.retention = retention;
        redis.timeout = options.redis_timeout;
        auto log = std::make_unique<storage::redis::RedisLog>(std::move(redis));
        const MetricsSource* metrics = log.get();
        storage::redis::RedisLog* redis_log = log.get();
        Storage storage{std::move(log), nullptr, std::make_unique<storage::MemoryLog>(retention),
                        metrics, redis_log};
        storage.outbox = storage.node_outbox.get();
        return storage;
    }
    if (options.backend == "memory") {
        auto log = std::make_unique<storage::MemoryLog>(retention);
        storage::Outbox* outbox = log.get();
        return {std::move(log), outbox, nullptr};
    }
    storage::SqliteOptions sqlite;
    sqlite.directory = options.path;
    sqlite.fsync_always = options.fsync == "always";
    sqlite.retention = retention;
    sqlite.fail_reads_of = options.fail_reads;
    auto log = std::make_unique<storage::SqliteLog>(sqlite);
    storage::Outbox* outbox = log.get();
    return {std::move(log), outbox, nullptr};
}

webhook::ServiceOptions webhook_options(const config::Options& options) {
    webhook::ServiceOptions result;
    for (const auto& endpoint : options.webhooks) {
        storage::EndpointRecord record;
        record.url = endpoint.url;
        record.events = endpoint.events;
        record.channels = endpoint.channels;
        record.secret = endpoint.secret;
        result.config_endpoints.push_back(std::move(record));
    }
    // webhook_delivery.retry_scale shrinks the whole schedule (tests).
    const double scale = options.webhook_retry_scale;
    auto scaled = [scale](std::chrono::milliseconds delay) {
        return std::chrono::milliseconds(std::max<std::int64_t>(
                1, static_cast<std::int64_t>(static_cast<double>(delay.count()) * scale)));
    };
    for (auto& delay : result.retry.delays)
        delay = scaled(delay);
    result.retry.then_every = scaled(result.retry.then_every);
    result.retry.give_up_after = scaled(result.retry.give_up_after);
    result.limits.ca_file = options.webhook_ca_file;
    result.limits.max_queued = options.webhook_max_queued;
    result.limits.deny_private = options.webhook_deny_private;
    return result;
}

net::ip::tcp::endpoint resolve_listen(const std::string& listen) {
    auto [host, port] = config::split_listen(listen);
    net::io_context context;
    net::ip::tcp::resolver resolver(context);
    boost::system::error_code ec;
    auto results =
            resolver.resolve(host, std::to_string(port), net::ip::resolver_base::passive, ec);
    if (ec || results.empty()) {
        throw config::ConfigError("cannot resolve listen address " + listen + ": " + ec.message());
    }
    return results.begin()->endpoint();
}

/// API.md Auth: CORS and WebSocket Origin default to `*` in open mode only. With tokens, pages
/// of other origins get nothing unless listed (the server's own pages need no CORS).
std::vector<std::string> effective_allowed_origins(const config::Options& options) {
    if (options.allowed_origins) return *options.allowed_origins;
    const bool open = options.jwt_secret.empty() && options.jwt_public_key.empty();
    return open ? std::vector<std::string>{"*"} : std::vector<std::string>{};
}

transport::HttpLimits http_limits(const config::Options& options) {
    transport::HttpLimits limits;
    limits.max_body_bytes = options.max_message_bytes;
    limits.request_timeout = options.request_timeout;
    limits.long_poll_max_wait = options.long_poll_max_wait;
    limits.max_connections = options.max_connections;
    limits.max_connections_per_ip = options.max_connections_per_ip;
    limits.max_header_count = options.max_header_count;
    limits.max_long_poll_waiters = options.max_long_poll_waiters;
    limits.admin_remote = options.admin_remote;
    limits.proxy_protocol = options.proxy_protocol;
    limits.trusted_proxies = options.trusted_proxies;
    limits.publish_rate = options.publish_rate;
    limits.allowed_origins = effective_allowed_origins(options);
    limits.allowed_hosts = options.allowed_hosts;
    limits.max_poll_channels = options.max_subscriptions;
    return limits;
}

/// Open mode without a key; otherwise the one verifier the options name (API.md Auth).
auth::Authenticator make_authenticator(const config::Options& options) {
    using config::ConfigError;
    if (options.jwt_secret.empty() && options.jwt_public_key.empty()) return {};
    if (!options.jwt_secret.empty() && !options.jwt_public_key.empty()) {
        throw ConfigError("auth.jwt_secret and auth.jwt_public_key exclude each other: give one");
    }
    const auth::JwtAlgorithm algorithm = *auth::parse_jwt_algorithm(options.jwt_algorithm);
    const auto leeway = std::chrono::duration_cast<std::chrono::seconds>(options.jwt_leeway);
    if (!options.jwt_secret.empty()) {
        if (algorithm != auth::JwtAlgorithm::hs256) {
            throw ConfigError("auth.jwt_secret is an HS256 secret, but auth.jwt_algorithm is " +
                              options.jwt_algorithm + ": give auth.jwt_public_key instead");
        }
        return auth::Authenticator(auth::JwtVerifier::hs256(options.jwt_secret), leeway);
    }
    if (algorithm == auth::JwtAlgorithm::hs256) {
        throw ConfigError("auth.jwt_public_key needs auth.jwt_algorithm RS256 or ES256");
    }
    std::ifstream file(options.jwt_public_key);
    std::ostringstream pem;
    pem << file.rdbuf();
    if (!file) throw ConfigError("cannot read auth.jwt_public_key " + options.jwt_public_key);
    auto verifier = auth::JwtVerifier::with_public_key(algorithm, pem.str());
    if (auto* error = std::get_if<std::string>(&verifier)) {
        throw ConfigError("auth.jwt_public_key " + options.jwt_public_key + ": " + *error);
    }
    return auth::Authenticator(std::move(std::get<auth::JwtVerifier>(verifier)), leeway);
}

/// The TLS context of tls.cert and tls.key; none without them.
std::unique_ptr<net::ssl::context> make_tls_context(const config::Options& options) {
    using config::ConfigError;
    if (options.tls_cert.empty() && options.tls_key.empty()) return nullptr;
    if (options.tls_cert.empty() || options.tls_key.empty()) {
        throw ConfigError("tls.cert and tls.key go together: give both, or neither for plain HTTP");
    }
    try {
        return transport::make_server_tls_context(options.tls_cert, options.tls_key);
    } catch (const std::runtime_error& error) {
        throw ConfigError(error.what());
    }
}

/// A second SIGINT or SIGTERM while shutting down: exits now (async-signal-safe calls only).
void exit_at_once(int) {
    static const char kMessage[] = "herald: second signal, exiting at once\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    std::_Exit(1);
}

/// Waits, while the shards run, until every connection asked to end has ended (its last chunk,
/// close frame or answer sent), or `timeout`: what is left then is cut when the shards stop.
void drain(const core::ServerMetrics& metrics, std::chrono::milliseconds timeout) {
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t open = metrics.connections();
    if (open > 0) {
        spdlog::info("herald: ending {} connection(s) gracefully (shutdown.timeout {})", open,
                     format_duration(timeout));
    }
    // The main thread polls a sum of atomics: nothing here runs on, or waits for, a shard.
    while (metrics.connections() > 0 && std::chrono::steady_clock::now() - started < timeout) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
    if (const std::int64_t left = metrics.connections(); left > 0) {
        spdlog::warn("herald: {} connection(s) did not end within shutdown.timeout; cutting them",
                     left);
    } else if (open > 0) {
        spdlog::info("herald: every connection ended in {} ms", took.count());
    }
}

}  // namespace

int serve(const config::Options& options) {
    spdlog::set_level(spdlog::level::from_str(options.log_level));
    // OpenSSL writes TLS connections' sockets with write(2), which raises SIGPIPE on a peer that
    // reset: a server wants the EPIPE error instead (Asio's own sends already ask for it).
    std::signal(SIGPIPE, SIG_IGN);
    const std::size_t threads = options.threads != 0
                                        ? options.threads
                                        : std::max(1u, std::thread::hardware_concurrency());
    const net::ip::tcp::endpoint endpoint = resolve_listen(options.listen);
    const auth::Authenticator authenticator = make_authenticator(options);
    const std::unique_ptr<net::ssl::context> tls = make_tls_context(options);

    core::ServerMetrics metrics(threads);
    Storage storage = open_storage(options);
    auto& log = storage.log;
    storage::Outbox* outbox = storage.outbox;
    auto shards = std::make_unique<runtime::ShardGroup>(threads);
    // The window of recent messages keeps what history keeps, up to 1 MiB per channel and
    // 64 MiB in all (docs/ARCHITECTURE.md, reads).
    core::Hub hub(*shards,
                  core::RecentMessages::Bounds{.messages_per_channel = options.history_max_messages,
                                               .bytes_per_channel = 1 << 20,
                                               .total_bytes = 64 << 20,
                                               .max_age = options.history_max_age});
    core::ChannelService channels(*log, hub, *shards, metrics);
    core::Presence presence(*shards);
    log->set_commit_listener([&hub](std::vector<storage::StoredMessage>&& batch) {
        hub.on_committed(std::move(batch));
    });
    log->set_forget_listener(
            [&hub](std::vector<std::string>&& channels) { hub.on_forgotten(channels); });
    std::unique_ptr<webhook::Service> webhooks;
    try {
        webhooks = std::make_unique<webhook::Service>(*shards, *outbox, webhook_options(options));
        webhooks->start();
    } catch (const std::invalid_argument& error) {
        throw config::ConfigError(std::string("config: ") + error.what());
    }
    // A channel followed on this node is one with a subscriber here: the log (Redis) feeds
    // the hub those, and reads of them wait until that feed is in place.
    // In cluster mode the cluster decides occupancy (RedisCounts, below), not each node.
    const bool cluster_mode = options.backend == "redis";
    hub.set_occupancy_listener(
            [service = webhooks.get(), log = log.get(), cluster_mode](
                    runtime::ShardId shard, const std::string& channel, bool occupied) {
                log->follow(channel, occupied);
                if (!cluster_mode) service->on_local_occupancy(shard, channel, occupied);
            });
    presence.set_change_listener([service = webhooks.get()](const core::PresenceChange& change) {
        service->on_presence(change);
    });

    transport::ConnectionSettings connections;
    connections.send_queue_bytes = options.send_queue_bytes;
    connections.close_timeout = options.ws_close_timeout;
    transport::StreamSettings streams;
    streams.retry = options.sse_retry;
    streams.keepalive = options.sse_keepalive;
    transport::WsSettings websocket;
    websocket.max_frame_bytes = options.ws_max_frame_bytes;
    websocket.max_subscriptions = options.max_subscriptions;
    websocket.max_message_bytes = options.max_message_bytes;
    websocket.ping_interval = options.ws_ping_interval;
    websocket.deflate = options.ws_deflate;
    websocket.publish_rate = options.publish_rate;
    websocket.token_leeway = authenticator.leeway();
    transport::HttpContext http_context{
            channels,    presence, authenticator, http_limits(options), metrics, streams, websocket,
            connections, {},       webhooks.get()};
    http_context.storage_metrics = storage.metrics;
    auto http = std::make_unique<transport::HttpServer>(*shards, http_context, tls.get());
    if (auto ec = http->listen(endpoint)) {
        throw std::runtime_error("cannot listen on " + options.listen + ": " + ec.message());
    }
    const auto bound = http->local_endpoint();
    const std::string address = bound.address().to_string() + ":" + std::to_string(bound.port());
    const std::string node_id = options.node_id.empty()
                                        ? host_name() + ":" + std::to_string(bound.port())
                                        : options.node_id;
    auto connections_now = [&metrics] { return metrics.connections(); };
    std::unique_ptr<cluster::NodeRegistry> registry;
    std::unique_ptr<cluster::RedisPresence> shared_presence;
    std::unique_ptr<cluster::RedisCounts> shared_counts;
    std::unique_ptr<core::SingleNodeDirectory> alone;
    if (options.backend == "redis") {
        registry = std::make_unique<cluster::NodeRegistry>(
                *shards, runtime::ShardId(0), storage::redis::parse_redis_url(options.redis),
                storage::redis::RedisClientOptions{.timeout = options.redis_timeout},
                cluster::NodeRegistryOptions{
                        .node_id = node_id, .address = address, .heartbeat = options.heartbeat},
                connections_now);
        http_context.cluster = registry.get();
        // Presence for the whole cluster: shared through Redis; other nodes' joins and leaves
        // arrive on the fan-out of the channels this node follows.
        shared_presence = std::make_unique<cluster::RedisPresence>(
                *shards, runtime::ShardId(0), presence,
                storage::redis::parse_redis_url(options.redis),
                storage::redis::RedisClientOptions{.timeout = options.redis_timeout},
                cluster::RedisPresenceOptions{.node_id = node_id});
        shared_presence->set_swept_listener(
                [service = webhooks.get()](const core::PresenceChange& change) {
                    service->on_presence(change);
                });
        presence.set_shared(shared_presence.get());
        storage.redis->set_notice_listener(
                [shared = shared_presence.get()](std::string_view notice) {
                    shared->on_notice(notice);
                });
        // Subscriber counts and occupancy for the whole cluster.
        shared_counts = std::make_unique<cluster::RedisCounts>(
                *shards, runtime::ShardId(0), storage::redis::parse_redis_url(options.redis),
                storage::redis::RedisClientOptions{.timeout = options.redis_timeout},
                cluster::RedisCountsOptions{.node_id = node_id,
                                            .vacated_delay = options.vacated_delay});
        shared_counts->set_occupancy_listener(
                [service = webhooks.get()](const std::string& channel, bool occupied) {
                    service->on_cluster_occupancy(channel, occupied);
                });
        channels.set_shared_counts(shared_counts.get());
        hub.set_count_listener(
                [counts = shared_counts.get()](const std::string& channel, int delta) {
                    counts->changed(channel, delta);
                });
        registry->set_gone_listener([presence = shared_presence.get(),
                                     counts = shared_counts.get()](std::vector<std::string> nodes) {
            presence->sweep(nodes);
            counts->sweep(std::move(nodes));
        });
    } else {
        alone = std::make_unique<core::SingleNodeDirectory>(
                core::NodeInfo{.node = node_id, .address = address}, connections_now);
        http_context.cluster = alone.get();
    }
    shards->start();
    http->start();
    if (registry) registry->start();
    if (shared_presence) shared_presence->start();
    if (shared_counts) shared_counts->start();
    spdlog::info(
            "herald: listening on {}://{}:{} ({} shards, storage {}{}, history {} "
            "messages / {})",
            tls ? "https" : "http", bound.address().to_string(), bound.port(), threads,
            options.backend, options.backend == "sqlite" ? " in " + options.path : "",
            options.history_max_messages, format_duration(options.history_max_age));
    if (authenticator.open()) {
        spdlog::warn(
                "herald: no auth key configured: the server is open to anyone who can reach it");
    } else {
        spdlog::info("herald: tokens required ({})", options.jwt_algorithm);
    }

    net::io_context main_context;
    net::signal_set signals(main_context, SIGINT, SIGTERM);
    signals.async_wait([](boost::system::error_code, int signal) {
        spdlog::info("herald: signal {}, shutting down", signal);
    });
    main_context.run();
    // From here a second signal exits at once, whatever is still draining.
    signals.clear();
    std::signal(SIGINT, exit_at_once);
    std::signal(SIGTERM, exit_at_once);

    // Order matters: stop taking work, finish what was accepted, then stop the threads. The
    // acceptors die before the io_contexts they were made on; the shards' remaining handlers
    // (sessions, waiters) die with their io_context, before the hub they point into.
    http->stop();
    drain(metrics, options.shutdown_timeout);
    http->cut();
    if (shared_presence) {
        std::promise<void> swept;
        shared_presence->stop([&swept] { swept.set_value(); });
        swept.get_future().wait();
    }
    if (shared_counts) {
        std::promise<void> swept;
        shared_counts->stop([&swept] { swept.set_value(); });
        swept.get_future().wait();
    }
    if (registry) {
        std::promise<void> left;
        registry->stop([&left] { left.set_value(); });
        left.get_future().wait();
    }
    webhooks->stop();
    log->close();
    if (storage.node_outbox) storage.node_outbox->close();
    shards->stop();
    shards->join();
    presence.stop();  // connections torn down below leave without telling the dead shards
    hub.set_occupancy_listener(nullptr);
    hub.set_count_listener(nullptr);
    webhooks.reset();  // its timer and sockets belong to shard 0's io_context: die first
    http.reset();
    shards.reset();
    spdlog::info("herald: stopped");
    return 0;
}

}  // namespace herald::app
