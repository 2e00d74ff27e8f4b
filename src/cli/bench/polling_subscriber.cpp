#include "cli/bench/polling_subscriber.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace herald::cli::bench {

namespace json = boost::json;

PollingSubscriber::PollingSubscriber(net::io_context& context, net::ip::tcp::endpoint endpoint,
                                     Run& run, std::uint64_t after,
                                     std::atomic<std::uint64_t>& progress)
    : Subscriber(run, progress, after),
      connection_(std::make_shared<HttpConnection>(context, endpoint, traffic)),
      timer_(context),
      cursor_(after) {}

void PollingSubscriber::stop() {
    timer_.cancel();
    connection_->close();
}

void PollingSubscriber::poll() {
    if (run_.stopping) return;
    std::string target;
    HttpConnection::Headers headers;
    if (run_.nchan) {
        target = (run_.long_poll() ? "/sub/" : "/poll/") + run_.channel;
        if (!modified_.empty()) headers.emplace_back(http::field::if_modified_since, modified_);
        if (!etag_.empty()) headers.emplace_back(http::field::if_none_match, etag_);
    } else {
        target = "/v1/channels/" + run_.channel + "/messages?after=" + std::to_string(cursor_) +
                 "&limit=1000";
        if (run_.long_poll()) target += "&wait=30";
    }
    connection_->request(
            http::verb::get, target, {},
            [self = shared_from_this()](beast::error_code ec, HttpConnection::Response&& answer) {
                self->on_answer(ec, answer);
            },
            headers);
}

void PollingSubscriber::on_answer(beast::error_code ec, HttpConnection::Response& answer) {
    if (run_.stopping) return;
    const unsigned status = answer.result_int();
    bool got = false;
    if (!ec && status == 200)
        got = run_.nchan ? record_nchan(answer) : record_herald(answer.body());
    // A long poll asks again at once, after a message or a timeout (204, 304, 408); a short
    // poll that got something asks again at once too, to catch up (Nchan answers one message
    // per request).
    const bool timed_out = status == 204 || status == 304 || status == 408;
    if (!ec && (got || (run_.long_poll() && timed_out))) return poll();
    // Short polls wait their interval; a failed request waits too rather than spin.
    timer_.expires_after(run_.long_poll() ? std::chrono::milliseconds(100) : run_.poll_interval);
    timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->poll();
    });
}

void PollingSubscriber::record_payload(std::uint64_t number, const json::value& payload,
                                       std::int64_t now) {
    std::uint64_t sent = 0;
    if (const json::value* t = payload.as_object().if_contains("t")) {
        sent = t->to_number<std::uint64_t>();
    }
    record(number, sent, now);
    cursor_ = std::max(cursor_, number);
}

bool PollingSubscriber::record_herald(const std::string& body) {
    boost::system::error_code ec;
    json::value reply = json::parse(body, ec);
    if (ec || !reply.is_object()) return false;
    const json::array& messages = reply.as_object().at("messages").as_array();
    const std::int64_t now = wall_micros();
    for (const json::value& message : messages) {
        record_payload(message.at("seq").to_number<std::uint64_t>(), message.at("data"), now);
    }
    return !messages.empty();
}

bool PollingSubscriber::record_nchan(const HttpConnection::Response& answer) {
    modified_ = std::string(answer[http::field::last_modified]);
    etag_ = std::string(answer[http::field::etag]);
    boost::system::error_code ec;
    json::value payload = json::parse(answer.body(), ec);
    if (ec || !payload.is_object()) return false;
    record_payload(payload.at("n").to_number<std::uint64_t>(), payload, wall_micros());
    return true;
}

}  // namespace herald::cli::bench
