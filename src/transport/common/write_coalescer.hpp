#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace herald::transport {

/// Makes busy streams write less often, with more in each write. A connection that wrote less
/// than one window ago hands its next flush here instead of writing at once; one timer per shard
/// flushes every deferred connection together when the window ends. At light load a connection
/// writes at once (its last write is older than the window); under load each write carries
/// every message of the window, which is what saturation needs: measured here, the kernel's
/// cost per send, not per byte, is three quarters of the server's CPU.
/// Thread: its shard's only.
class WriteCoalescer {
public:
    using Clock = std::chrono::steady_clock;

    class Client {
    public:
        virtual ~Client() = default;
        virtual void flush_deferred() = 0;
    };

    WriteCoalescer(boost::asio::io_context::executor_type executor,
                   std::chrono::microseconds window);

    std::chrono::microseconds window() const { return window_; }

    /// Calls `client.flush_deferred()` when the current window ends, keeping it alive until then.
    void defer(std::shared_ptr<Client> client);
    /// A flush for a client that last wrote at `last_write`: deferred to the window's end when
    /// that was less than a window ago (busy), else after the rest of this loop turn, so that
    /// everything one handler queues (a committed batch reaches every subscriber in one
    /// handler) leaves in one write.
    void schedule(std::shared_ptr<Client> client, Clock::time_point last_write);
    /// Shutdown: runs the deferred flushes now, and from then on every flush after the loop
    /// turn, so that the last chunks and close frames of ending connections leave.
    void stop();

private:
    void on_timer(boost::system::error_code ec);

    boost::asio::steady_timer timer_;
    std::chrono::microseconds window_;
    std::vector<std::shared_ptr<Client>> deferred_;
    std::vector<std::shared_ptr<Client>> running_;
    bool armed_ = false;
    bool stopped_ = false;
};

}  // namespace herald::transport
