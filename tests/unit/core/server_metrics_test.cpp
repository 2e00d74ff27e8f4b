#include "core/server_metrics.hpp"

#include <gtest/gtest.h>

namespace herald::core {
namespace {

TEST(ServerMetricsTest, TheTotalSumsEveryShardsCounts) {
    ServerMetrics metrics(3);
    metrics.shard(runtime::ShardId(0)).messages_delivered.inc(5);
    metrics.shard(runtime::ShardId(2)).messages_delivered.inc(7);
    metrics.shard(runtime::ShardId(1)).refused_per_ip.inc();
    metrics.shard(runtime::ShardId(1)).long_poll_waits.inc();
    metrics.shard(runtime::ShardId(0)).publish_latency.observe(0.002);
    metrics.shard(runtime::ShardId(2)).publish_latency.observe(0.2);

    auto total = metrics.total();
    EXPECT_EQ(total->messages_delivered.value(), 12u);
    EXPECT_EQ(total->refused_per_ip.value(), 1u);
    EXPECT_EQ(total->long_poll_waits.value(), 1);
    EXPECT_EQ(total->http_requests.value(), 0u);
    const std::string histogram = total->publish_latency.render("h");
    EXPECT_NE(histogram.find("h_count 2\n"), std::string::npos) << histogram;
    EXPECT_NE(histogram.find("h_bucket{le=\"0.0025\"} 1\n"), std::string::npos) << histogram;
}

TEST(ServerMetricsTest, ConnectionsCountEveryTransportOnEveryShard) {
    ServerMetrics metrics(2);
    metrics.shard(runtime::ShardId(0)).ws_connections.inc();
    metrics.shard(runtime::ShardId(0)).http_connections.inc();
    metrics.shard(runtime::ShardId(1)).sse_connections.inc();
    metrics.shard(runtime::ShardId(1)).tls_handshakes.inc();
    metrics.shard(runtime::ShardId(1)).long_poll_waits.inc();  // a request, not a connection
    EXPECT_EQ(metrics.connections(), 4);
    metrics.shard(runtime::ShardId(1)).sse_connections.dec();
    EXPECT_EQ(metrics.connections(), 3);
}

}  // namespace
}  // namespace herald::core
