#include "transport/http/http_session.hpp"

#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "transport/common/disconnect.hpp"
#include "transport/http/forwarded_for.hpp"
#include "transport/http/request_framing.hpp"
#include "transport/http/responses.hpp"
#include "transport/http/router.hpp"

namespace herald::transport {

namespace net = boost::asio;
using wire::ApiError;

namespace {

bool is_normal_http_end(beast::error_code ec) {
    return is_normal_disconnect(ec) || ec == http::error::end_of_stream ||
           ec == beast::error::timeout;
}

}  // namespace

HttpSession::HttpSession(runtime::Socket&& socket, CountedSlot address_slot,
                         const net::ip::address& client, runtime::ShardId shard, Router& router,
                         const HttpLimits& limits, core::ShardMetrics& metrics,
                         KeepaliveTicker& ticker)
    : stream_(std::move(socket)),
      address_slot_(std::move(address_slot)),
      // The parser takes a body piece by piece, so the buffer only has to hold a whole header
      // (and what a client pipelines behind it): its bound is a connection's worst case.
      buffer_(limits.max_header_bytes + 4 * kKiB),
      shard_(shard),
      router_(router),
      limits_(limits),
      metrics_(metrics),
      ticker_(ticker),
      client_(limits, client) {
    metrics_.http_connections.inc();
}

HttpSession::~HttpSession() {
    if (registered()) ticker_.remove(*this);
    metrics_.http_connections.dec();
}

void HttpSession::start() {
    if (!ticker_.add(*this)) return close();  // the server is stopping
    do_read_header();
}

void HttpSession::on_shutdown() {
    draining_ = true;
    keep_alive_ = false;
    // Reading, or waiting for a request: nothing was asked that is not answered. Otherwise the
    // answer leaves first (a publish being stored, a long poll about to answer 204).
    if (!awaiting_response_ && !response_) close();
}

void HttpSession::do_read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser_->body_limit(limits_.max_body_bytes);
    stream_.expires_after(limits_.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                self->on_read_header(ec);
                            });
}

void HttpSession::on_read_header(beast::error_code ec) {
    if (ec) return reject(ec);
    const auto& fields = parser_->get();
    if (limits_.max_header_count != 0 &&
        static_cast<std::size_t>(std::distance(fields.begin(), fields.end())) >
                limits_.max_header_count) {
        // Within 8 KiB but many tiny fields: each costs a node and a lookup on every access.
        metrics_.malformed_requests.inc();
        metrics_.refused_header_count.inc();
        Response response = error_response(
                ApiError::bad_request,
                "more than " + std::to_string(limits_.max_header_count) + " header fields");
        response.result(http::status::request_header_fields_too_large);
        return respond_and_close(std::move(response));
    }
    if (auto refusal = framing_refusal(fields.base())) {
        // A body of unknown length: answer and close, reading nothing past the header.
        metrics_.malformed_requests.inc();
        return respond_and_close(std::move(*refusal));
    }
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
        // curl sends this for bodies over 1 KiB and waits a second unless told to go on.
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        net::async_write(stream_, net::buffer(kContinue),
                         [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                             self->on_continue_sent(write_ec);
                         });
        return;
    }
    do_read_body();
}

void HttpSession::on_continue_sent(beast::error_code ec) {
    if (ec) return close();
    do_read_body();
}

void HttpSession::do_read_body() {
    if (parser_->is_done()) return dispatch();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->on_read_body(ec);
                     });
}

void HttpSession::on_read_body(beast::error_code ec) {
    if (ec) return reject(ec);
    dispatch();
}

void HttpSession::reject(beast::error_code ec) {
    if (ec == beast::error::timeout) {
        // http.request_timeout (slowloris): cut without an answer, like nginx. A connection
        // that had sent part of a request was too slow; one that sent nothing was idle.
        const bool started = buffer_.size() > 0 || (parser_ && parser_->got_some());
        (started ? metrics_.request_timeouts : metrics_.idle_timeouts).inc();
        return close();
    }
    if (is_normal_http_end(ec) || ec == http::error::partial_message) return close();
    metrics_.malformed_requests.inc();
    Response response;
    if (ec == http::error::header_limit) {
        metrics_.refused_header_size.inc();
        response = error_response(ApiError::bad_request, "request headers are too large");
        response.result(http::status::request_header_fields_too_large);
    } else if (ec == http::error::body_limit) {
        metrics_.refused_body_size.inc();
        response = error_response(
                ApiError::too_large,
                "body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
    } else if (ec == http::error::buffer_overflow) {
        response = error_response(ApiError::too_large, "request is too large");
    } else {
        response = error_response(ApiError::bad_request, "malformed HTTP request: " + ec.message());
    }
    respond_and_close(std::move(response));
}

void HttpSession::respond_and_close(Response&& response) {
    // The stream is no longer in step with request boundaries: answer, then close.
    keep_alive_ = false;
    version_ = 11;
    awaiting_response_ = true;
    respond(std::move(response));
}

void HttpSession::dispatch() {
    Request request = parser_->release();
    parser_.reset();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    head_request_ = request.method() == http::verb::head;
    awaiting_response_ = true;
    stream_.expires_never();  // a long poll may hold the request for minutes
    metrics_.http_requests.inc();
    if (!limits_.trusted_proxies.empty()) {
        client_.set_address(
                forwarded_client(client_.connection_address, request, limits_.trusted_proxies));
    }
    client_.presence.expire();
    router_.route(shard_, std::move(request), shared_from_this(), client_);
}

void HttpSession::respond(Response&& response) {
    if (closed_ || !awaiting_response_) return;
    awaiting_response_ = false;
    on_abort_ = nullptr;
    if (response.result_int() >= 400) metrics_.http_errors.inc();
    response.version(version_);
    response.keep_alive(keep_alive_);
    response.prepare_payload();
    if (std::exchange(head_request_, false)) {
        // HEAD: the headers a GET would get, Content-Length included, and no body.
        auto length = response.body().size();
        response.body().clear();
        if (response[http::field::content_length].size() > 0) response.content_length(length);
    }
    response_ = std::make_shared<Response>(std::move(response));
    stream_.expires_after(limits_.write_timeout);
    http::async_write(
            stream_, *response_,
            [self = shared_from_this(), keep_alive = keep_alive_](
                    beast::error_code ec, std::size_t) { self->on_write(ec, keep_alive); });
}

void HttpSession::on_write(beast::error_code ec, bool keep_alive) {
    response_.reset();
    if (ec) {
        if (!is_normal_http_end(ec)) spdlog::debug("http: write failed: {}; closing", ec.message());
        return close();
    }
    if (!keep_alive || draining_) {
        beast::error_code ignored;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
        return close();
    }
    // An idle connection holds no buffer (long-lived clients are many); the next read starts
    // again with a small one.
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    if (watching_) {
        read_after_watch_ = true;  // on_watch reads once the pending wait is cancelled
        beast::error_code ignored;
        stream_.socket().cancel(ignored);
        return;
    }
    do_read_header();
}

std::optional<HandedOver> HttpSession::hand_over(Response& head) {
    if (closed_ || !awaiting_response_ || watching_) return std::nullopt;
    awaiting_response_ = false;
    closed_ = true;  // this session is done; the socket lives on in the caller
    if (registered()) ticker_.remove(*this);
    on_abort_ = nullptr;
    head.version(version_);
    const auto unread = buffer_.data();
    std::string bytes(static_cast<const char*>(unread.data()), unread.size());
    buffer_ = {};
    return HandedOver{stream_.release_socket(), std::move(address_slot_), std::move(bytes)};
}

void HttpSession::on_disconnect(std::function<void()> on_abort) {
    if (closed_ || !awaiting_response_) return;
    on_abort_ = std::move(on_abort);
    if (watching_) return;
    watching_ = true;
    stream_.socket().async_wait(
            net::socket_base::wait_read,
            [self = shared_from_this()](beast::error_code ec) { self->on_watch(ec); });
}

void HttpSession::on_watch(beast::error_code ec) {
    watching_ = false;
    if (std::exchange(read_after_watch_, false)) {
        if (!closed_) do_read_header();
        return;
    }
    if (closed_ || !awaiting_response_) return;
    if (!ec) {
        // Readable: either the peer left (recv returns 0 or fails) or it pipelined its next
        // request, which stays in the kernel until we read it.
        char byte;
        const ssize_t n =
                ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) return;  // pipelined: we can no longer tell a disconnect; stop watching
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            on_disconnect(std::exchange(on_abort_, nullptr));  // spurious wake-up: wait again
            return;
        }
    }
    if (auto on_abort = std::exchange(on_abort_, nullptr)) on_abort();
    close();
}

void HttpSession::close() {
    if (std::exchange(closed_, true)) return;
    if (registered()) ticker_.remove(*this);  // registered: the ticker lives
    client_.presence.leave_all();
    if (auto on_abort = std::exchange(on_abort_, nullptr)) on_abort();
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
}

}  // namespace herald::transport
