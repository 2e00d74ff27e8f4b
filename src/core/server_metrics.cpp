#include "core/server_metrics.hpp"

namespace herald::core {
namespace {

// Every field, so a sum cannot forget one; a new counter goes here too.
constexpr Gauge ShardMetrics::*kGauges[] = {
        &ShardMetrics::http_connections,   &ShardMetrics::sse_connections,
        &ShardMetrics::stream_connections, &ShardMetrics::ws_connections,
        &ShardMetrics::long_poll_waits,    &ShardMetrics::tls_connections,
        &ShardMetrics::tls_handshakes,
};

constexpr Counter ShardMetrics::*kCounters[] = {
        &ShardMetrics::http_requests,
        &ShardMetrics::http_errors,
        &ShardMetrics::messages_published,
        &ShardMetrics::messages_deduplicated,
        &ShardMetrics::publish_failures,
        &ShardMetrics::messages_delivered,
        &ShardMetrics::long_poll_timeouts,
        &ShardMetrics::slow_consumer_closes,
        &ShardMetrics::publishes_rate_limited,
        &ShardMetrics::malformed_requests,
        &ShardMetrics::tls_handshake_failures,
        &ShardMetrics::refused_max_connections,
        &ShardMetrics::refused_per_ip,
        &ShardMetrics::refused_header_size,
        &ShardMetrics::refused_header_count,
        &ShardMetrics::refused_body_size,
        &ShardMetrics::refused_long_poll_waiters,
        &ShardMetrics::refused_subscriptions,
        &ShardMetrics::refused_ws_message_size,
        &ShardMetrics::request_timeouts,
        &ShardMetrics::idle_timeouts,
        &ShardMetrics::reads_from_memory,
        &ShardMetrics::reads_from_storage,
        &ShardMetrics::read_failures,
};

}  // namespace

void ShardMetrics::add(const ShardMetrics& other) {
    for (auto gauge : kGauges)
        (this->*gauge).add((other.*gauge).value());
    for (auto counter : kCounters)
        (this->*counter).inc((other.*counter).value());
    publish_latency.add(other.publish_latency);
}

ServerMetrics::ServerMetrics(std::size_t shards) {
    for (std::size_t i = 0; i < shards; ++i)
        shards_.push_back(std::make_unique<ShardMetrics>());
}

std::unique_ptr<ShardMetrics> ServerMetrics::total() const {
    auto sum = std::make_unique<ShardMetrics>();
    for (const auto& shard : shards_)
        sum->add(*shard);
    return sum;
}

std::int64_t ServerMetrics::connections() const {
    std::int64_t open = 0;
    for (const auto& shard : shards_)
        open += shard->connections();
    return open;
}

}  // namespace herald::core
