#include "transport/common/keepalive_ticker.hpp"

#include <algorithm>

namespace herald::transport {

KeepaliveTicker::KeepaliveTicker(boost::asio::io_context::executor_type executor,
                                 std::chrono::milliseconds interval)
    : timer_(executor),
      period_(std::max(std::chrono::milliseconds(1), interval / kTicksPerInterval)) {}

bool KeepaliveTicker::add(Client& client) {
    if (stopped_) return false;
    if (contains(client)) return true;
    client.slot_ = clients_.size();
    clients_.push_back(&client);
    return true;
}

void KeepaliveTicker::remove(Client& client) {
    if (!contains(client)) return;
    // Swap with the last: O(1), and a client moved into a visited slot mid-tick only skips one
    // tick.
    Client* last = clients_.back();
    clients_[client.slot_] = last;
    last->slot_ = client.slot_;
    clients_.pop_back();
    client.slot_ = Client::kUnregistered;
}

KeepaliveTicker::Tick KeepaliveTicker::ticks(std::chrono::milliseconds duration) const {
    const auto count = (duration + period_ - std::chrono::milliseconds(1)) / period_;
    return static_cast<Tick>(std::max<std::int64_t>(1, count));
}

void KeepaliveTicker::stop() {
    stopped_ = true;
    // A copy: a client that ends at once leaves the list meanwhile. None is destroyed within
    // this loop (their owners are their pending operations), so each pointer stays valid.
    const std::vector<Client*> clients = clients_;
    for (Client* client : clients) {
        if (client->registered()) client->on_shutdown();
    }
}

void KeepaliveTicker::forget() {
    stopped_ = true;
    timer_.cancel();
    for (Client* client : clients_)
        client->slot_ = Client::kUnregistered;
    clients_.clear();
}

void KeepaliveTicker::start() {
    if (!stopped_) arm();
}

void KeepaliveTicker::arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) { on_timer(ec); });
}

void KeepaliveTicker::on_timer(boost::system::error_code ec) {
    if (ec) return;
    ++now_;
    for (std::size_t i = 0; i < clients_.size(); ++i)
        clients_[i]->on_tick(now_);
    arm();
}

}  // namespace herald::transport
