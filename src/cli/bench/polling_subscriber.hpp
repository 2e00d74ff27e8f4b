#pragma once

#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "cli/bench/http_connection.hpp"
#include "cli/bench/subscriber.hpp"

namespace herald::cli::bench {

/// Polls (short or long) until told to stop, recording every message it receives. Against
/// Herald the cursor is the message seq; against Nchan it is the Last-Modified and ETag pair
/// of the previous answer, and messages are numbered by the publisher.
/// Thread: its io_context's. Owned by its pending operations and its group.
class PollingSubscriber final : public Subscriber,
                                public std::enable_shared_from_this<PollingSubscriber> {
public:
    PollingSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint, Run& run,
                      std::uint64_t after, std::atomic<std::uint64_t>& progress);

    void start() override { poll(); }
    void stop() override;

private:
    void poll();
    void on_answer(beast::error_code ec, HttpConnection::Response& answer);
    void record_payload(std::uint64_t number, const boost::json::value& payload, std::int64_t now);
    bool record_herald(const std::string& body);
    bool record_nchan(const HttpConnection::Response& answer);

    std::shared_ptr<HttpConnection> connection_;
    net::steady_timer timer_;
    std::uint64_t cursor_;
    std::string modified_;
    std::string etag_;
};

}  // namespace herald::cli::bench
