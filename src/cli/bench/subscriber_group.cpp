#include "cli/bench/subscriber_group.hpp"

#include <chrono>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

namespace herald::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, bytes, size);
        if (n <= 0) throw std::runtime_error("bench worker pipe closed");
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
}

void read_all(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, bytes, size);
        if (n <= 0) throw std::runtime_error("a bench worker process died");
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
}

}  // namespace

SubscriberGroup::SubscriberGroup(net::ip::tcp::endpoint endpoint, Run& run, std::size_t count,
                                 unsigned threads, std::uint64_t start_seq, ProgressBoard& board,
                                 std::size_t first_slot)
    : run_(run), board_(board), first_slot_(first_slot) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) {
        contexts_.push_back(std::make_unique<net::io_context>(1));
    }
    for (std::size_t i = 0; i < count; ++i) {
        auto& context = *contexts_[i % contexts_.size()];
        subscribers_.push_back(
                make_subscriber(context, endpoint, run, start_seq, board.slot(first_slot + i)));
        net::post(context, [s = subscribers_.back()] { s->start(); });
    }
    for (auto& context : contexts_) {
        guards_.emplace_back(context->get_executor());
        workers_.emplace_back([&context] { context->run(); });
    }
}

void SubscriberGroup::wait_ready() {
    const std::size_t count = subscribers_.size();
    if (!run_.streaming()) {
        // A long poll gives no sign that it is held: give the requests time to arrive.
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + count / 5));
        return;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (run_.connected.load() < count && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Headers come after the server registered the subscriber; a moment more lets the last
    // ones settle before the first publish.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

void SubscriberGroup::drain(std::uint64_t last) {
    const auto deadline = Clock::now() + std::chrono::seconds(5) + run_.poll_interval * 2;
    while (board_.lowest(first_slot_, subscribers_.size()) < last && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void SubscriberGroup::stop() {
    if (workers_.empty()) return;
    run_.stopping = true;
    for (std::size_t i = 0; i < subscribers_.size(); ++i) {
        net::post(*contexts_[i % contexts_.size()], [s = subscribers_[i]] { s->stop(); });
    }
    guards_.clear();
    for (auto& worker : workers_)
        worker.join();
    workers_.clear();
}

void SubscriberGroup::add_to(FanoutResult& result, std::uint64_t first, std::uint64_t last,
                             std::int64_t& last_receipt) {
    for (auto& subscriber : subscribers_) {
        result.deliveries += subscriber->check.counts(first, last);
        result.latency.merge(subscriber->latency);
        result.subscribers_traffic += subscriber->traffic;
        last_receipt = std::max(last_receipt, subscriber->last_receipt);
    }
}

namespace {

[[noreturn]] void worker_main(int from_parent, int to_parent, net::ip::tcp::endpoint endpoint,
                              Run& run, std::size_t count, unsigned threads,
                              std::uint64_t start_seq, ProgressBoard& board,
                              std::size_t first_slot) {
    try {
        SubscriberGroup group(endpoint, run, count, threads, start_seq, board, first_slot);
        group.wait_ready();
        write_all(to_parent, "R", 1);
        std::uint64_t range[2];
        read_all(from_parent, range, sizeof range);
        group.drain(range[1] == 0 ? start_seq : range[1]);
        group.stop();
        FanoutResult part;
        std::int64_t last_receipt = 0;
        group.add_to(part, range[0] == 0 ? 1 : range[0], range[0] == 0 ? 0 : range[1],
                     last_receipt);
        const std::uint64_t counts[] = {part.deliveries.received,
                                        part.deliveries.lost,
                                        part.deliveries.duplicated,
                                        part.deliveries.out_of_order,
                                        part.subscribers_traffic.bytes_sent,
                                        part.subscribers_traffic.bytes_received,
                                        part.subscribers_traffic.requests};
        write_all(to_parent, counts, sizeof counts);
        write_all(to_parent, &last_receipt, sizeof last_receipt);
        const std::vector<std::int64_t>& samples = part.latency.samples();
        const std::uint64_t size = samples.size();
        write_all(to_parent, &size, sizeof size);
        write_all(to_parent, samples.data(), samples.size() * sizeof(std::int64_t));
        _exit(0);
    } catch (...) {
        _exit(1);
    }
}

}  // namespace

WorkerProcess::WorkerProcess(net::ip::tcp::endpoint endpoint, Run& run, std::size_t count,
                             unsigned threads, std::uint64_t start_seq, ProgressBoard& board,
                             std::size_t first_slot) {
    int down[2];
    int up[2];
    if (pipe(down) != 0 || pipe(up) != 0) throw std::runtime_error("cannot make a pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("cannot fork a bench worker");
    if (pid_ == 0) {
        ::close(down[1]);
        ::close(up[0]);
        worker_main(down[0], up[1], endpoint, run, count, threads, start_seq, board, first_slot);
    }
    ::close(down[0]);
    ::close(up[1]);
    to_worker_ = down[1];
    from_worker_ = up[0];
}

void WorkerProcess::wait_ready() {
    char ready = 0;
    read_all(from_worker_, &ready, 1);
}

void WorkerProcess::publish_range(std::uint64_t first, std::uint64_t last) {
    const std::uint64_t range[2] = {first, last};
    write_all(to_worker_, range, sizeof range);
}

void WorkerProcess::collect(FanoutResult& result, std::int64_t& last_receipt) {
    std::uint64_t counts[7];
    read_all(from_worker_, counts, sizeof counts);
    result.deliveries += DeliveryCounts{counts[0], counts[1], counts[2], counts[3]};
    result.subscribers_traffic += Traffic{counts[4], counts[5], counts[6]};
    std::int64_t receipt = 0;
    read_all(from_worker_, &receipt, sizeof receipt);
    last_receipt = std::max(last_receipt, receipt);
    std::uint64_t size = 0;
    read_all(from_worker_, &size, sizeof size);
    std::vector<std::int64_t> samples(size);
    read_all(from_worker_, samples.data(), size * sizeof(std::int64_t));
    for (std::int64_t sample : samples)
        result.latency.add(sample);
    ::close(from_worker_);
    ::close(to_worker_);
    int status = 0;
    waitpid(pid_, &status, 0);
}

}  // namespace herald::cli::bench
