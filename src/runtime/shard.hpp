#pragma once

#include <atomic>
#include <cstddef>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "runtime/shard_id.hpp"

namespace herald::runtime {

namespace net = boost::asio;

/// One thread, one io_context, and whatever state only that thread touches.
/// Thread: `post` from anywhere; everything else from the owner (ShardGroup).
class Shard {
public:
    explicit Shard(ShardId id) : id_(id) {}
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    ShardId id() const { return id_; }
    net::io_context& context() { return context_; }
    net::io_context::executor_type executor() { return context_.get_executor(); }

    /// Whether the caller may touch this shard's own state: it runs on the shard's thread, or
    /// that thread is not running (before `start`, after `join`: teardown on the main thread).
    bool owns_caller() {
        return !running_.load(std::memory_order_acquire) ||
               context_.get_executor().running_in_this_thread();
    }

    template <class Work>
    void post(Work&& work) {
        net::post(context_, std::forward<Work>(work));
    }

    /// Starts the thread; the context runs until `stop`.
    void start();
    void stop();
    void join();

private:
    ShardId id_;
    net::io_context context_{1};  // hint 1: one thread runs it, Asio may skip locking
    net::executor_work_guard<net::io_context::executor_type> work_{context_.get_executor()};
    std::thread thread_;
    std::atomic<bool> running_{false};
};

}  // namespace herald::runtime
