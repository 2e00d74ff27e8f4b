#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

/// A monotonically growing count. Relaxed atomics: any thread may add, /metrics reads.
class Counter {
public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down (open connections, held long polls).
class Gauge {
public:
    void inc() { value_.fetch_add(1, std::memory_order_relaxed); }
    void dec() { value_.fetch_sub(1, std::memory_order_relaxed); }
    void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

/// Latency histogram with fixed Prometheus buckets, in seconds.
class Histogram {
public:
    static constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                       0.005,  0.01,    0.025,  0.05,  0.1,
                                                       0.25,   0.5,     1.0,    2.5};
    void observe(double seconds);
    /// Adds every observation of `other` (sums per-shard histograms for a scrape).
    void add(const Histogram& other);
    /// Prometheus text lines for this histogram under `name`.
    std::string render(const std::string& name) const;

private:
    std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_micros_{0};
};

/// Prometheus text exposition format 0.0.4: a family's HELP and TYPE lines, and one sample.
void describe_metric(std::string& out, std::string_view name, std::string_view type,
                     std::string_view help);
void add_sample(std::string& out, std::string_view name, std::string_view labels, long long value);
/// A family of one unlabelled sample.
inline void add_metric(std::string& out, std::string_view name, std::string_view type,
                       std::string_view help, long long value) {
    describe_metric(out, name, type, help);
    add_sample(out, name, "", value);
}

/// Metrics a part of the server keeps outside the shards' counts (a storage backend's),
/// appended to /metrics. Thread: `render_metrics` from any.
class MetricsSource {
public:
    virtual ~MetricsSource() = default;
    virtual void render_metrics(std::string& out) const = 0;
};

}  // namespace herald
