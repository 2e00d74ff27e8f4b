#pragma once

#include <cstdint>
#include <vector>

namespace herald::cli::bench {

/// Latency samples in microseconds. Percentiles by nearest rank, sorting once when asked.
/// Thread: one owner; merge per-thread recorders at the end.
class LatencySamples {
public:
    void add(std::int64_t micros);
    void merge(const LatencySamples& other);
    std::size_t count() const { return samples_.size(); }
    /// `p` in [0, 100]: the smallest sample with at least p% of samples at or below it; 0 when
    /// there is none.
    std::int64_t percentile(double p);
    std::int64_t max();
    const std::vector<std::int64_t>& samples() const { return samples_; }

private:
    void sort();

    std::vector<std::int64_t> samples_;
    bool sorted_ = true;
};

/// Delivery counts of one subscriber on one channel against the published seqs.
struct DeliveryCounts {
    std::uint64_t received = 0;      // every receipt, duplicates included
    std::uint64_t lost = 0;          // published, never received
    std::uint64_t duplicated = 0;    // receipts of a seq received before
    std::uint64_t out_of_order = 0;  // first receipts of a seq lower than one received before

    DeliveryCounts& operator+=(const DeliveryCounts& other);
};

/// What one subscriber received, in arrival order, checked against what was published.
/// Thread: its subscriber's.
class DeliveryCheck {
public:
    void receive(std::uint64_t seq) { received_.push_back(seq); }
    /// Counts against the published seqs `first` .. `last` (none when first > last). Receipts
    /// outside that range count as received, and as duplicates when repeated.
    DeliveryCounts counts(std::uint64_t first, std::uint64_t last) const;

private:
    std::vector<std::uint64_t> received_;
};

/// Bytes and requests on the wire, headers and empty polls included.
struct Traffic {
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t requests = 0;

    Traffic& operator+=(const Traffic& other);
};

}  // namespace herald::cli::bench
