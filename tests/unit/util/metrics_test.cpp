#include "util/metrics.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(Histogram, RendersCumulativeBuckets) {
    Histogram histogram;
    histogram.observe(0.00005);  // first bucket
    histogram.observe(0.003);    // le=0.005
    histogram.observe(10);       // only +Inf
    const std::string text = histogram.render("h");
    EXPECT_NE(text.find("h_bucket{le=\"0.0001\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_bucket{le=\"0.0025\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_bucket{le=\"0.005\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_bucket{le=\"2.5\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_count 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_sum 10.003"), std::string::npos) << text;
}

TEST(Counter, AndGauge) {
    Counter counter;
    counter.inc();
    counter.inc(4);
    EXPECT_EQ(counter.value(), 5u);
    Gauge gauge;
    gauge.inc();
    gauge.inc();
    gauge.dec();
    EXPECT_EQ(gauge.value(), 1);
}

}  // namespace
}  // namespace herald
