#include "cli/bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace herald::cli::bench {

void LatencySamples::add(std::int64_t micros) {
    if (!samples_.empty() && micros < samples_.back()) sorted_ = false;
    samples_.push_back(micros);
}

void LatencySamples::merge(const LatencySamples& other) {
    for (std::int64_t sample : other.samples_)
        add(sample);
}

void LatencySamples::sort() {
    if (sorted_) return;
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
}

std::int64_t LatencySamples::percentile(double p) {
    if (samples_.empty()) return 0;
    sort();
    const double rank =
            std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(samples_.size()));
    const auto index = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
    return samples_[std::min(index, samples_.size() - 1)];
}

std::int64_t LatencySamples::max() {
    if (samples_.empty()) return 0;
    sort();
    return samples_.back();
}

DeliveryCounts& DeliveryCounts::operator+=(const DeliveryCounts& other) {
    received += other.received;
    lost += other.lost;
    duplicated += other.duplicated;
    out_of_order += other.out_of_order;
    return *this;
}

DeliveryCounts DeliveryCheck::counts(std::uint64_t first, std::uint64_t last) const {
    DeliveryCounts counts;
    counts.received = received_.size();
    std::unordered_set<std::uint64_t> seen;
    std::uint64_t highest = 0;
    bool any = false;
    for (std::uint64_t seq : received_) {
        if (!seen.insert(seq).second) {
            ++counts.duplicated;
            continue;
        }
        if (any && seq < highest) ++counts.out_of_order;
        highest = any ? std::max(highest, seq) : seq;
        any = true;
    }
    if (first <= last) {
        std::uint64_t in_range = 0;
        for (std::uint64_t seq : seen) {
            if (seq >= first && seq <= last) ++in_range;
        }
        counts.lost = (last - first + 1) - in_range;
    }
    return counts;
}

Traffic& Traffic::operator+=(const Traffic& other) {
    bytes_sent += other.bytes_sent;
    bytes_received += other.bytes_received;
    requests += other.requests;
    return *this;
}

}  // namespace herald::cli::bench
