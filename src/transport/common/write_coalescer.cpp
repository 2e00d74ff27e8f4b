#include "transport/common/write_coalescer.hpp"

#include <utility>

#include <boost/asio/post.hpp>

namespace herald::transport {

WriteCoalescer::WriteCoalescer(boost::asio::io_context::executor_type executor,
                               std::chrono::microseconds window)
    : timer_(executor), window_(window) {}

void WriteCoalescer::defer(std::shared_ptr<Client> client) {
    if (stopped_) {
        return boost::asio::post(timer_.get_executor(),
                                 [client = std::move(client)] { client->flush_deferred(); });
    }
    deferred_.push_back(std::move(client));
    if (std::exchange(armed_, true)) return;
    timer_.expires_after(window_);
    timer_.async_wait([this](boost::system::error_code ec) { on_timer(ec); });
}

void WriteCoalescer::schedule(std::shared_ptr<Client> client, Clock::time_point last_write) {
    if (!stopped_ && Clock::now() - last_write < window_) return defer(std::move(client));
    boost::asio::post(timer_.get_executor(),
                      [client = std::move(client)] { client->flush_deferred(); });
}

void WriteCoalescer::on_timer(boost::system::error_code ec) {
    armed_ = false;
    if (ec) return;
    running_.swap(deferred_);
    for (auto& client : running_)
        client->flush_deferred();
    running_.clear();
}

void WriteCoalescer::stop() {
    stopped_ = true;
    timer_.cancel();
    for (auto& client : std::exchange(deferred_, {})) {
        boost::asio::post(timer_.get_executor(),
                          [client = std::move(client)] { client->flush_deferred(); });
    }
}

}  // namespace herald::transport
