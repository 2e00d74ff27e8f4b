#pragma once

#include <cstddef>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace herald::runtime {

namespace net = boost::asio;

/// One thread, one io_context, and whatever state only that thread touches.
/// Thread: `post` from anywhere; everything else from the owner (ShardGroup).
class Shard {
public:
    explicit Shard(std::size_t index) : index_(index) {}
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    std::size_t index() const { return index_; }
    net::io_context& context() { return context_; }
    net::io_context::executor_type executor() { return context_.get_executor(); }

    template <class Work>
    void post(Work&& work) {
        net::post(context_, std::forward<Work>(work));
    }

    /// Starts the thread; the context runs until `stop`.
    void start();
    void stop();
    void join();

private:
    std::size_t index_;
    net::io_context context_{1};  // hint 1: one thread runs it, Asio may skip locking
    net::executor_work_guard<net::io_context::executor_type> work_{context_.get_executor()};
    std::thread thread_;
};

}  // namespace herald::runtime
