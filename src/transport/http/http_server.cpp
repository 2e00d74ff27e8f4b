#include "transport/http/http_server.hpp"

#include <algorithm>
#include <future>

#include <spdlog/spdlog.h>

#include "transport/http/client_address.hpp"
#include "transport/http/http_session.hpp"
#include "transport/tls/tls_tunnel.hpp"

namespace herald::transport {

HttpServer::HttpServer(runtime::ShardGroup& shards, HttpContext& context,
                       boost::asio::ssl::context* tls)
    : shards_(shards),
      context_(context),
      tls_(tls),
      router_(context),
      admission_(context.limits, context.metrics, context.connections_per_address) {
    context_.shards.clear();
    for (runtime::ShardId shard : shards_.ids()) {
        services_.push_back(std::make_unique<ShardServices>(
                shards_[shard].executor(),
                // The shortest period a connection's ticks must resolve.
                std::min({context_.streams.keepalive, context_.websocket.ping_interval,
                          context_.connections.close_timeout}),
                context_.streams.coalesce_window, context_.presence,
                context_.websocket.max_frame_bytes));
        context_.shards.push_back(services_.back().get());
    }
}

boost::system::error_code HttpServer::listen(const runtime::tcp::endpoint& endpoint) {
    if (auto ec = runtime::check_port_free(endpoint)) return ec;
    runtime::tcp::endpoint bind_to = endpoint;
    for (runtime::ShardId shard : shards_.ids()) {
        auto listener = std::make_unique<runtime::Listener>(
                shards_[shard],
                [this, shard](runtime::Socket&& socket) { accept(shard, std::move(socket)); });
        if (auto ec = listener->open(bind_to)) return ec;
        bind_to = listener->local_endpoint();  // a picked port is shared by every shard
        listeners_.push_back(std::move(listener));
    }
    return {};
}

void HttpServer::start() {
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        shards_[runtime::ShardId(i)].post(
                [listener = listeners_[i].get(), services = services_[i].get()] {
                    listener->start();
                    services->ticker.start();
                });
    }
}

void HttpServer::stop() {
    std::vector<std::future<void>> stopped;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        auto done = std::make_shared<std::promise<void>>();
        stopped.push_back(done->get_future());
        shards_[runtime::ShardId(i)].post(
                [listener = listeners_[i].get(), services = services_[i].get(), done] {
                    listener->stop();
                    // Streams end now, while their shard runs: none outlives its ticker.
                    services->ticker.stop();
                    services->coalescer.stop();
                    done->set_value();
                });
    }
    for (auto& done : stopped)
        done.wait();
}

void HttpServer::accept(runtime::ShardId shard, runtime::Socket&& socket) {
    // Connection limits first: a refused client is closed by admit (and answered, when it
    // speaks plain HTTP: a TLS client could not read the answer).
    std::optional<Admitted> admitted = admission_.admit(shard, socket, tls_ == nullptr);
    if (!admitted) return;
    // Decided on the TCP socket: behind a TLS tunnel the session sees a socket pair.
    const bool loopback = is_loopback(admitted->peer);
    if (tls_ != nullptr) {
        // The tunnel holds the address's place: it lives as long as the connection.
        std::make_shared<TlsTunnel>(std::move(socket), std::move(admitted->address_slot), *tls_,
                                    context_.limits.request_timeout, context_.metrics.shard(shard))
                ->start([this, shard, loopback](runtime::Socket&& plaintext) {
                    start_session(shard, std::move(plaintext), CountedSlot(), loopback);
                });
        return;
    }
    start_session(shard, std::move(socket), std::move(admitted->address_slot), loopback);
}

void HttpServer::start_session(runtime::ShardId shard, runtime::Socket&& socket,
                               CountedSlot address_slot, bool loopback) {
    std::make_shared<HttpSession>(std::move(socket), std::move(address_slot), loopback, shard,
                                  router_, context_.limits, context_.metrics.shard(shard))
            ->start();
}

}  // namespace herald::transport
