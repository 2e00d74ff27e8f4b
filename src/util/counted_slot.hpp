#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

namespace herald {

/// One unit held of a count shared between threads (a connection from an address, a held long
/// poll): given back when the slot is destroyed, so it travels with what it counts.
/// Thread: any; the count is a relaxed atomic. Movable, one pointer wide; empty when default-made.
class CountedSlot {
public:
    CountedSlot() = default;
    explicit CountedSlot(std::atomic<std::uint32_t>& count) : count_(&count) {}
    CountedSlot(CountedSlot&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    CountedSlot& operator=(CountedSlot&& other) noexcept {
        if (this != &other) {
            release();
            count_ = std::exchange(other.count_, nullptr);
        }
        return *this;
    }
    CountedSlot(const CountedSlot&) = delete;
    CountedSlot& operator=(const CountedSlot&) = delete;
    ~CountedSlot() { release(); }

private:
    void release() {
        if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_relaxed);
        count_ = nullptr;
    }

    std::atomic<std::uint32_t>* count_ = nullptr;
};

/// Takes one unit of `count` unless it already holds `limit` (0: no bound). Lock-free: racing
/// takers may both be refused near the bound, never both admitted past it.
[[nodiscard]] inline std::optional<CountedSlot> try_take(std::atomic<std::uint32_t>& count,
                                                         std::uint32_t limit) {
    const std::uint32_t before = count.fetch_add(1, std::memory_order_relaxed);
    if (limit != 0 && before >= limit) {
        count.fetch_sub(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    return CountedSlot(count);
}

}  // namespace herald
