#pragma once

#include <functional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "runtime/shard.hpp"

namespace herald::runtime {

using tcp = net::ip::tcp;
/// Sockets and acceptors bound to a shard's io_context executor type rather than the
/// type-erased any_io_executor: measured 3-5% of a shard's CPU went to copying that executor.
using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;
using Acceptor = net::basic_socket_acceptor<tcp, net::io_context::executor_type>;

/// An error when something already listens on `endpoint`'s port (port 0: never).
[[nodiscard]] boost::system::error_code check_port_free(const tcp::endpoint& endpoint);

/// Accepts connections for one shard on a port shared with the other shards (SO_REUSEPORT),
/// so the kernel spreads new connections over the shards and a connection never changes thread.
/// Thread: its shard's only (after `open`).
class Listener {
public:
    using AcceptHandler = std::function<void(Socket&&)>;

    Listener(Shard& shard, AcceptHandler on_accept);

    /// Binds and listens. Port 0 picks a free port; the other shards then bind that one.
    [[nodiscard]] boost::system::error_code open(const tcp::endpoint& endpoint);
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    void start();
    void stop();

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, Socket socket);

    Acceptor acceptor_;
    net::steady_timer backoff_;
    AcceptHandler on_accept_;
};

}  // namespace herald::runtime
