#include "transport/http/http_server.hpp"

#include <algorithm>
#include <future>

#include <spdlog/spdlog.h>

#include "transport/http/http_session.hpp"
#include "transport/tls/tls_tunnel.hpp"

namespace herald::transport {

HttpServer::HttpServer(runtime::ShardGroup& shards, HttpContext& context,
                       boost::asio::ssl::context* tls)
    : shards_(shards), context_(context), tls_(tls), router_(context) {
    context_.shards.clear();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        services_.push_back(std::make_unique<ShardServices>(
                shards_[i].executor(),
                std::min(context_.streams.keepalive, context_.websocket.ping_interval),
                context_.streams.coalesce_window, context_.presence,
                context_.websocket.max_frame_bytes));
        context_.shards.push_back(services_.back().get());
    }
}

boost::system::error_code HttpServer::listen(const runtime::tcp::endpoint& endpoint) {
    if (auto ec = runtime::check_port_free(endpoint)) return ec;
    runtime::tcp::endpoint bind_to = endpoint;
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        auto listener = std::make_unique<runtime::Listener>(
                shards_[i], [this, i](runtime::Socket&& socket) { accept(i, std::move(socket)); });
        if (auto ec = listener->open(bind_to)) return ec;
        bind_to = listener->local_endpoint();  // a picked port is shared by every shard
        listeners_.push_back(std::move(listener));
    }
    return {};
}

void HttpServer::start() {
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        shards_[i].post([listener = listeners_[i].get(), services = services_[i].get()] {
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
        shards_[i].post([listener = listeners_[i].get(), services = services_[i].get(), done] {
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

void HttpServer::accept(std::size_t shard, runtime::Socket&& socket) {
    const std::size_t limit = context_.limits.max_connections;
    if (limit != 0 && context_.metrics.connections() >= static_cast<std::int64_t>(limit)) {
        // Over the configured bound: refuse at once rather than queue (API.md Flow control).
        static const std::string kBusy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                "Content-Length: 65\r\nConnection: close\r\n\r\n"
                "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections\"}}";
        boost::system::error_code ignored;
        socket.non_blocking(true, ignored);
        socket.write_some(boost::asio::buffer(kBusy), ignored);
        socket.close(ignored);
        return;
    }
    if (tls_ != nullptr) {
        std::make_shared<TlsTunnel>(std::move(socket), *tls_, context_.limits.request_timeout,
                                    context_.metrics)
                ->start([this, shard](runtime::Socket&& plaintext) {
                    start_session(shard, std::move(plaintext));
                });
        return;
    }
    start_session(shard, std::move(socket));
}

void HttpServer::start_session(std::size_t shard, runtime::Socket&& socket) {
    std::make_shared<HttpSession>(std::move(socket), shard, router_, context_.limits,
                                  context_.metrics)
            ->start();
}

}  // namespace herald::transport
