#include "cli/bench/stats.hpp"

#include <gtest/gtest.h>

namespace herald::cli::bench {
namespace {

TEST(LatencySamples, NearestRankPercentiles) {
    LatencySamples samples;
    EXPECT_EQ(samples.percentile(50), 0);
    EXPECT_EQ(samples.max(), 0);
    for (int v = 100; v >= 1; --v)
        samples.add(v);  // 1..100, added out of order
    EXPECT_EQ(samples.count(), 100u);
    EXPECT_EQ(samples.percentile(50), 50);
    EXPECT_EQ(samples.percentile(90), 90);
    EXPECT_EQ(samples.percentile(99), 99);
    EXPECT_EQ(samples.percentile(99.9), 100);
    EXPECT_EQ(samples.percentile(0), 1);
    EXPECT_EQ(samples.percentile(100), 100);
    EXPECT_EQ(samples.max(), 100);
}

TEST(LatencySamples, SingleSampleAndMerge) {
    LatencySamples one;
    one.add(7);
    EXPECT_EQ(one.percentile(50), 7);
    EXPECT_EQ(one.percentile(99.9), 7);
    LatencySamples other;
    other.add(3);
    other.add(1000);
    one.merge(other);
    EXPECT_EQ(one.count(), 3u);
    EXPECT_EQ(one.percentile(50), 7);
    EXPECT_EQ(one.max(), 1000);
}

TEST(DeliveryCheck, CleanRun) {
    DeliveryCheck check;
    for (std::uint64_t seq = 5; seq <= 9; ++seq)
        check.receive(seq);
    DeliveryCounts counts = check.counts(5, 9);
    EXPECT_EQ(counts.received, 5u);
    EXPECT_EQ(counts.lost, 0u);
    EXPECT_EQ(counts.duplicated, 0u);
    EXPECT_EQ(counts.out_of_order, 0u);
}

TEST(DeliveryCheck, LossDuplicatesAndReordering) {
    DeliveryCheck check;
    for (std::uint64_t seq : {1, 2, 4, 3, 4, 6, 6, 6})
        check.receive(seq);
    DeliveryCounts counts = check.counts(1, 7);
    EXPECT_EQ(counts.received, 8u);
    EXPECT_EQ(counts.duplicated, 3u);    // 4 once more, 6 twice more
    EXPECT_EQ(counts.out_of_order, 1u);  // 3 after 4
    EXPECT_EQ(counts.lost, 2u);          // 5 and 7
}

TEST(DeliveryCheck, NothingPublishedOrReceived) {
    DeliveryCheck check;
    EXPECT_EQ(check.counts(1, 0).lost, 0u);
    EXPECT_EQ(check.counts(1, 3).lost, 3u);
    check.receive(10);  // outside the published range: received, not lost, not a duplicate
    DeliveryCounts counts = check.counts(1, 3);
    EXPECT_EQ(counts.received, 1u);
    EXPECT_EQ(counts.lost, 3u);
    EXPECT_EQ(counts.duplicated, 0u);
}

TEST(DeliveryCounts, AndTrafficAddUp) {
    DeliveryCounts a{10, 1, 2, 3};
    a += DeliveryCounts{5, 1, 1, 1};
    EXPECT_EQ(a.received, 15u);
    EXPECT_EQ(a.lost, 2u);
    EXPECT_EQ(a.duplicated, 3u);
    EXPECT_EQ(a.out_of_order, 4u);
    Traffic t{100, 200, 3};
    t += Traffic{1, 2, 1};
    EXPECT_EQ(t.bytes_sent, 101u);
    EXPECT_EQ(t.bytes_received, 202u);
    EXPECT_EQ(t.requests, 4u);
}

}  // namespace
}  // namespace herald::cli::bench
