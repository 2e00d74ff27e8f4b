#include "transport/http/http_server.hpp"

#include <algorithm>
#include <future>

#include <spdlog/spdlog.h>

#include "transport/http/http_session.hpp"
#include "transport/http/proxy_header_reader.hpp"
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
    const HttpLimits& limits = context_.limits;
    if (limits.proxy_protocol) {
        spdlog::info(
                "http: every connection must start with a PROXY protocol header "
                "(http.proxy_protocol); per-address limits count the clients it names");
    }
    if (!limits.trusted_proxies.empty()) {
        std::string proxies;
        for (const auto& network : limits.trusted_proxies)
            proxies.append(proxies.empty() ? "" : ", ").append(network.to_string());
        spdlog::info(
                "http: X-Forwarded-For names the client of requests from {} "
                "(http.trusted_proxies), whose connections are not bounded per address",
                proxies);
    }
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        shards_[runtime::ShardId(i)].post(
                [listener = listeners_[i].get(), services = services_[i].get()] {
                    listener->start();
                    services->ticker.start();
                });
    }
}

void HttpServer::stop() {
    context_.draining.store(true, std::memory_order_relaxed);
    std::vector<std::future<void>> stopped;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        auto done = std::make_shared<std::promise<void>>();
        stopped.push_back(done->get_future());
        shards_[runtime::ShardId(i)].post(
                [listener = listeners_[i].get(), services = services_[i].get(), done] {
                    listener->stop();
                    // Every connection starts to end now, while its shard runs (none outlives
                    // its ticker): streams send their last chunk, WebSockets close with 1001,
                    // long polls answer, idle HTTP connections close and busy ones after their
                    // answer. The coalescer then sends what it held back, and every flush
                    // after, at once.
                    services->ticker.stop();
                    services->coalescer.stop();
                    done->set_value();
                });
    }
    for (auto& done : stopped)
        done.wait();
}

void HttpServer::cut() {
    std::vector<std::future<void>> forgotten;
    for (std::size_t i = 0; i < services_.size(); ++i) {
        auto done = std::make_shared<std::promise<void>>();
        forgotten.push_back(done->get_future());
        shards_[runtime::ShardId(i)].post([services = services_[i].get(), done] {
            services->ticker.forget();
            done->set_value();
        });
    }
    for (auto& done : forgotten)
        done.wait();
}

void HttpServer::accept(runtime::ShardId shard, runtime::Socket&& socket) {
    // Connection limits first: a refused client is closed (and answered, when it speaks plain
    // HTTP: a TLS client could not read the answer).
    if (!admission_.admit_to_server(shard, socket, tls_ == nullptr)) return;
    if (context_.limits.proxy_protocol) {
        // The balancer's header comes first, in plaintext on a TLS port too; until it is read
        // the client's address, which limits.max_connections_per_ip counts, is unknown.
        std::make_shared<ProxyHeaderReader>(std::move(socket), context_.limits.request_timeout,
                                            context_.metrics.shard(shard))
                ->start([this, shard](runtime::Socket&& rest,
                                      const boost::asio::ip::address& client) {
                    start_connection(shard, std::move(rest), client);
                });
        return;
    }
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) {  // gone already
        socket.close(ec);
        return;
    }
    start_connection(shard, std::move(socket), peer.address());
}

void HttpServer::start_connection(runtime::ShardId shard, runtime::Socket&& socket,
                                  const boost::asio::ip::address& client) {
    std::optional<CountedSlot> slot =
            admission_.admit_client(shard, socket, client, tls_ == nullptr);
    if (!slot) return;
    if (tls_ != nullptr) {
        // The tunnel holds the address's place: it lives as long as the connection. The
        // client's address is the TCP socket's (or its PROXY header's): the session's socket
        // pair has none.
        std::make_shared<TlsTunnel>(std::move(socket), std::move(*slot), *tls_,
                                    context_.limits.request_timeout, context_.metrics.shard(shard))
                ->start([this, shard, client](runtime::Socket&& plaintext) {
                    start_session(shard, std::move(plaintext), CountedSlot(), client);
                });
        return;
    }
    start_session(shard, std::move(socket), std::move(*slot), client);
}

void HttpServer::start_session(runtime::ShardId shard, runtime::Socket&& socket,
                               CountedSlot address_slot, const boost::asio::ip::address& client) {
    std::make_shared<HttpSession>(std::move(socket), std::move(address_slot), client, shard,
                                  router_, context_.limits, context_.metrics.shard(shard),
                                  services_[shard.value]->ticker)
            ->start();
}

}  // namespace herald::transport
