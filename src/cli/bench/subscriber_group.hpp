#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "cli/bench/fanout.hpp"
#include "cli/bench/subscriber.hpp"

namespace herald::cli::bench {

/// The subscribers one process runs, on its own threads, each reporting its progress into its
/// slot of the board (`first_slot` onwards).
/// Thread: the caller's; subscribers run on the group's threads until `stop`.
class SubscriberGroup {
public:
    SubscriberGroup(net::ip::tcp::endpoint endpoint, Run& run, std::size_t count, unsigned threads,
                    std::uint64_t start_seq, ProgressBoard& board, std::size_t first_slot);
    ~SubscriberGroup() { stop(); }
    SubscriberGroup(const SubscriberGroup&) = delete;
    SubscriberGroup& operator=(const SubscriberGroup&) = delete;

    /// Returns once every subscriber is in place to receive the first message: a stream has
    /// its response headers, a long poll has had time to be held.
    void wait_ready();
    /// Waits until every subscriber has message `last`, or the deadline.
    void drain(std::uint64_t last);
    void stop();
    /// What the group received of the published numbers `first` .. `last`.
    void add_to(FanoutResult& result, std::uint64_t first, std::uint64_t last,
                std::int64_t& last_receipt);

private:
    Run& run_;
    ProgressBoard& board_;
    std::size_t first_slot_;
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::vector<std::shared_ptr<Subscriber>> subscribers_;
    std::vector<std::thread> workers_;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
};

/// A forked process holding a share of the subscribers: one process may hold about 19,000
/// sockets here. It says when its subscribers are ready, waits for the published range, drains,
/// and sends its counts back through a pipe.
class WorkerProcess {
public:
    /// Forks; the child runs `count` subscribers from slot `first_slot` and never returns.
    WorkerProcess(net::ip::tcp::endpoint endpoint, Run& run, std::size_t count, unsigned threads,
                  std::uint64_t start_seq, ProgressBoard& board, std::size_t first_slot);
    void wait_ready();
    /// Tells the worker what was published (numbers `first` .. `last`; 0, 0: nothing).
    void publish_range(std::uint64_t first, std::uint64_t last);
    /// Adds the worker's counts to `result` and reaps it.
    void collect(FanoutResult& result, std::int64_t& last_receipt);

private:
    pid_t pid_ = -1;
    int to_worker_ = -1;
    int from_worker_ = -1;
};

}  // namespace herald::cli::bench
