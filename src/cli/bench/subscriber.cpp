#include "cli/bench/subscriber.hpp"

#include <algorithm>
#include <limits>
#include <new>

#include <sys/mman.h>

#include "cli/bench/polling_subscriber.hpp"
#include "cli/bench/streaming_subscriber.hpp"
#include "cli/bench/ws_subscriber.hpp"

namespace herald::cli::bench {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "progress slots are shared between processes: they must not hide a lock");

std::int64_t wall_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

ProgressBoard::ProgressBoard(std::size_t subscribers)
    : size_(std::max<std::size_t>(1, subscribers)) {
    void* memory = mmap(nullptr, size_ * sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    slots_ = static_cast<std::atomic<std::uint64_t>*>(memory);
    for (std::size_t i = 0; i < size_; ++i)
        new (&slots_[i]) std::atomic<std::uint64_t>(0);
}

ProgressBoard::~ProgressBoard() {
    munmap(slots_, size_ * sizeof(std::atomic<std::uint64_t>));
}

std::uint64_t ProgressBoard::lowest(std::size_t first, std::size_t count) const {
    std::uint64_t low = std::numeric_limits<std::uint64_t>::max();
    for (std::size_t i = first; i < std::min(size_, first + count); ++i)
        low = std::min(low, slots_[i].load(std::memory_order_relaxed));
    return count == 0 ? 0 : low;
}

void Subscriber::record(std::uint64_t number, std::uint64_t sent_micros, std::int64_t now) {
    check.receive(number);
    if (sent_micros != 0) latency.add(now - static_cast<std::int64_t>(sent_micros));
    if (number > progress_.load(std::memory_order_relaxed)) {
        progress_.store(number, std::memory_order_relaxed);
    }
    last_receipt = now;
}

std::shared_ptr<Subscriber> make_subscriber(net::io_context& context,
                                            net::ip::tcp::endpoint endpoint, Run& run,
                                            std::uint64_t after,
                                            std::atomic<std::uint64_t>& progress) {
    if (run.websocket()) {
        return std::make_shared<WsSubscriber>(context, endpoint, run, after, progress);
    }
    if (run.streaming()) {
        return std::make_shared<StreamingSubscriber>(context, endpoint, run, after, progress);
    }
    return std::make_shared<PollingSubscriber>(context, endpoint, run, after, progress);
}

}  // namespace herald::cli::bench
