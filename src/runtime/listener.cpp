#include "runtime/listener.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include <boost/asio/socket_base.hpp>

namespace herald::runtime {

namespace {

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

Listener::Listener(Shard& shard, AcceptHandler on_accept)
    : acceptor_(shard.executor()), backoff_(shard.context()), on_accept_(std::move(on_accept)) {}

boost::system::error_code check_port_free(const tcp::endpoint& endpoint) {
    if (endpoint.port() == 0) return {};
    // Without SO_REUSEPORT the bind fails while any process listens there, even one whose
    // sockets would let ours join their SO_REUSEPORT group and silently share its traffic.
    net::io_context context;
    tcp::acceptor probe(context);
    boost::system::error_code ec;
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    return ec;
}

boost::system::error_code Listener::open(const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.set_option(ReusePort(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    return ec;
}

void Listener::start() {
    do_accept();
}

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
}

void Listener::do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, Socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void Listener::on_accept(boost::system::error_code ec, Socket socket) {
    if (ec == net::error::operation_aborted) return;  // stopping
    if (ec) {
        // Out of file descriptors or memory: pause instead of spinning on the error.
        spdlog::warn("listener: accept failed: {}; pausing accepts for 100 ms", ec.message());
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([this](boost::system::error_code wait_ec) {
            if (!wait_ec) do_accept();
        });
        return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    on_accept_(std::move(socket));
    do_accept();
}

}  // namespace herald::runtime
