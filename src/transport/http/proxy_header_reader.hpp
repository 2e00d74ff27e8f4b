#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"

namespace herald::transport {

struct ProxyHeader;

/// Reads the PROXY protocol header (http.proxy_protocol) that must start every connection, and
/// hands the socket on positioned right after it, so the bytes that follow (HTTP, or a TLS
/// handshake) reach their reader untouched. It peeks (MSG_PEEK) at most kProxyDecisionBytes,
/// parses, then consumes exactly the header: nothing past it is ever read here. A header that
/// comes in pieces is consumed piece by piece (an incomplete header's bytes are all its own).
/// A connection whose first bytes are no valid header is closed and counted as malformed; one
/// that does not finish its header within http.request_timeout is closed and counted as a
/// timeout. Meanwhile it counts as an HTTP connection (limits.max_connections).
/// Thread: its shard's only. Owned by its pending wait and deadline.
class ProxyHeaderReader final : public std::enable_shared_from_this<ProxyHeaderReader> {
public:
    /// Called once with the socket and the client's address: the header's source, or the
    /// socket's peer for a LOCAL or UNKNOWN header (a balancer's health check).
    using OnHeader = std::function<void(runtime::Socket&&, const boost::asio::ip::address&)>;

    ProxyHeaderReader(runtime::Socket&& socket, std::chrono::milliseconds timeout,
                      core::ShardMetrics& metrics);
    ~ProxyHeaderReader();

    void start(OnHeader on_header);

private:
    void do_wait();
    void on_readable(boost::system::error_code ec);
    void on_parsed(const ProxyHeader& header);
    /// Consumes what is left of the header (all of it, or a version 2 header's TLVs).
    void consume();
    void refuse(std::string_view why, std::string_view first_bytes);
    void close();

    runtime::Socket socket_;
    boost::asio::steady_timer deadline_;
    core::ShardMetrics& metrics_;
    OnHeader on_header_;
    boost::asio::ip::address peer_;    // the TCP peer: the balancer
    boost::asio::ip::address client_;  // once parsed
    std::string received_;             // the start of a header that came in pieces
    std::size_t unconsumed_ = 0;       // header bytes still in the socket once parsed
    bool parsed_ = false;
    bool done_ = false;
};

}  // namespace herald::transport
