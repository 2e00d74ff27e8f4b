#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"
#include "runtime/shard_id.hpp"
#include "transport/common/keepalive_ticker.hpp"
#include "transport/http/http_client.hpp"
#include "transport/http/http_types.hpp"

namespace herald::transport {

class Router;

/// One HTTP/1.1 connection: reads a request, lets the router answer it (now, or later for a
/// publish or a long poll), writes the answer, reads the next. Pipelined requests wait in the
/// read buffer and are answered in order. At shutdown (the shard's ticker stops) an idle
/// connection closes at once and a busy one after its answer, sent with `Connection: close`.
/// Thread: its shard's only. Owned by its pending operations and by handlers holding it.
class HttpSession final : public Exchange,
                          public KeepaliveTicker::Client,
                          public std::enable_shared_from_this<HttpSession> {
public:
    /// `address_slot`: the connection's place in limits.max_connections_per_ip, held until it
    /// ends here or in the session it is handed over to.
    /// `client`: where the connection comes from, as the accepted TCP socket or its PROXY
    /// protocol header said (a TLS connection's session holds a socket pair, which has no peer
    /// address).
    HttpSession(runtime::Socket&& socket, CountedSlot address_slot,
                const boost::asio::ip::address& client, runtime::ShardId shard, Router& router,
                const HttpLimits& limits, core::ShardMetrics& metrics, KeepaliveTicker& ticker);
    ~HttpSession() override;

    void start();

    // KeepaliveTicker::Client: only for shutdown (request deadlines are the stream's own).
    void on_tick(KeepaliveTicker::Tick) override {}
    void on_shutdown() override;

    void respond(Response&& response) override;
    void on_disconnect(std::function<void()> on_abort) override;
    std::optional<HandedOver> hand_over(Response& head) override;

private:
    void do_read_header();
    void on_read_header(beast::error_code ec);
    void on_continue_sent(beast::error_code ec);
    void do_read_body();
    void on_read_body(beast::error_code ec);
    void dispatch();
    void on_write(beast::error_code ec, bool keep_alive);
    void on_watch(beast::error_code ec);
    /// Answers a request that could not be read, then closes.
    void reject(beast::error_code ec);
    /// Answers `response` to a request that is not answered normally, then closes.
    void respond_and_close(Response&& response);
    void close();

    using Stream = beast::basic_stream<boost::asio::ip::tcp, boost::asio::io_context::executor_type,
                                       beast::unlimited_rate_policy>;
    Stream stream_;
    CountedSlot address_slot_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    runtime::ShardId shard_;
    Router& router_;
    const HttpLimits& limits_;
    core::ShardMetrics& metrics_;
    KeepaliveTicker& ticker_;

    std::shared_ptr<Response> response_;  // alive while it is written
    std::function<void()> on_abort_;
    HttpClient client_;
    unsigned version_ = 11;
    bool keep_alive_ = true;
    bool awaiting_response_ = false;  // a handler holds the request
    bool head_request_ = false;       // the request held is a HEAD: answer without a body
    bool watching_ = false;           // an async_wait for readability is pending
    bool read_after_watch_ = false;   // start reading once that wait is cancelled
    bool closed_ = false;
    bool draining_ = false;  // the server stops: no request after the one being answered
};

}  // namespace herald::transport
