#include "util/metrics.hpp"

#include <cstdio>

namespace herald {

void Histogram::observe(double seconds) {
    std::size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket])
        ++bucket;
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::add(const Histogram& other) {
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        buckets_[i].fetch_add(other.buckets_[i].load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
    count_.fetch_add(other.count_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    sum_micros_.fetch_add(other.sum_micros_.load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
}

std::string Histogram::render(const std::string& name) const {
    std::string out;
    std::uint64_t cumulative = 0;
    char line[160];
    for (std::size_t i = 0; i <= kBounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        if (i < kBounds.size()) {
            std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(),
                          kBounds[i], static_cast<unsigned long long>(cumulative));
        } else {
            std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n", name.c_str(),
                          static_cast<unsigned long long>(cumulative));
        }
        out += line;
    }
    std::snprintf(line, sizeof line, "%s_sum %.6f\n%s_count %llu\n", name.c_str(),
                  static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6,
                  name.c_str(), static_cast<unsigned long long>(count_.load()));
    out += line;
    return out;
}

void describe_metric(std::string& out, std::string_view name, std::string_view type,
                     std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help);
    out.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void add_sample(std::string& out, std::string_view name, std::string_view labels, long long value) {
    out.append(name).append(labels).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace herald
