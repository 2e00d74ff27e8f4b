#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "cli/bench/event_stream_parser.hpp"
#include "cli/bench/subscriber.hpp"

namespace herald::cli::bench {

namespace beast = boost::beast;
namespace http = beast::http;

/// Holds one endless response, Server-Sent Events (`sse`) or NDJSON (`stream`), reading its body
/// as it arrives and recording every message in it. Every byte read counts into `traffic`,
/// headers and chunk framing included. When the server ends the response (a slow consumer)
/// it reconnects where it left off: Herald with `after=<last seq>`, Nchan's EventSource with
/// `Last-Event-ID`; Nchan's raw stream cannot resume, so what it missed shows as lost.
/// Thread: its io_context's. Owned by its pending operations and its group.
class StreamingSubscriber final : public Subscriber,
                                  public std::enable_shared_from_this<StreamingSubscriber> {
public:
    StreamingSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint, Run& run,
                        std::uint64_t after, std::atomic<std::uint64_t>& progress);

    void start() override { do_connect(); }
    void stop() override;

private:
    void do_connect();
    void on_connect(beast::error_code ec);
    void on_write(beast::error_code ec, std::size_t bytes);
    void on_header(beast::error_code ec, std::size_t bytes);
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void reconnect();
    std::string target() const;
    void consume(std::string_view bytes);
    void on_herald_message(std::string_view json, std::int64_t now);
    void on_nchan_payload(std::string_view json, std::int64_t now);

    net::ip::tcp::endpoint endpoint_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> request_;
    std::optional<http::response_parser<http::buffer_body>> parser_;
    std::unique_ptr<char[]> body_;  // where the parser puts the body bytes it reads
    net::steady_timer timer_;
    SseParser sse_;
    NdjsonParser lines_;
    std::uint64_t cursor_;
    std::string last_event_id_;  // Nchan's, for Last-Event-ID on a reconnect
    bool ever_connected_ = false;
};

}  // namespace herald::cli::bench
