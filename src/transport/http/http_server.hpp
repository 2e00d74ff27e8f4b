#pragma once

#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "runtime/listener.hpp"
#include "runtime/shard_group.hpp"
#include "transport/http/connection_admission.hpp"
#include "transport/http/router.hpp"

namespace herald::transport {

/// Listens on one port with an acceptor per shard (SO_REUSEPORT) and runs an HttpSession for
/// each connection on the shard that accepted it. With a TLS context every connection on the
/// port is TLS (https and wss): a TlsTunnel ends it and the session gets its plaintext. With
/// http.proxy_protocol every connection starts with a PROXY header, read before anything else.
/// Thread: `listen`, `start` and `stop` from the main thread.
class HttpServer {
public:
    /// `tls`: none for plain HTTP; else it outlives the server.
    HttpServer(runtime::ShardGroup& shards, HttpContext& context,
               boost::asio::ssl::context* tls = nullptr);

    /// Binds every shard's acceptor; port 0 picks one free port for all of them.
    [[nodiscard]] boost::system::error_code listen(const runtime::tcp::endpoint& endpoint);
    runtime::tcp::endpoint local_endpoint() const { return listeners_.front()->local_endpoint(); }

    void start();
    /// Stops accepting, makes /readyz answer 503, and asks every connection to end gracefully;
    /// returns once each shard has asked. The connections are gone when the metrics count none
    /// (the caller waits for that, up to shutdown.timeout, while the shards run).
    void stop();
    /// After `stop`, once the connections had their time (shutdown.timeout): the shards'
    /// tickers forget the connections left, which end when their shard stops.
    void cut();

private:
    void accept(runtime::ShardId shard, runtime::Socket&& socket);
    /// Once the connection's client address is known (its peer, or its PROXY header's):
    /// the per-address bound, then TLS or HTTP.
    void start_connection(runtime::ShardId shard, runtime::Socket&& socket,
                          const boost::asio::ip::address& client);
    void start_session(runtime::ShardId shard, runtime::Socket&& socket, CountedSlot address_slot,
                       const boost::asio::ip::address& client);

    runtime::ShardGroup& shards_;
    HttpContext& context_;
    boost::asio::ssl::context* tls_;
    Router router_;
    ConnectionAdmission admission_;  // every shard's accepts
    std::vector<std::unique_ptr<runtime::Listener>> listeners_;
    std::vector<std::unique_ptr<ShardServices>> services_;  // one per shard
};

}  // namespace herald::transport
