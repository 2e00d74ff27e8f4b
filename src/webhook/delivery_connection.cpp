#include "webhook/delivery_connection.hpp"

#include <array>
#include <vector>

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "webhook/address_policy.hpp"

namespace herald::webhook {

namespace {
constexpr std::size_t kMaxResponseBody = 64 * 1024;  // read and dropped: only the status counts

/// Resolved endpoints sorted by address_policy.
struct Screened {
    std::vector<net::ip::tcp::endpoint> allowed;
    std::string refused;  // the first refused address and how many more, for the error
};

Screened screen(const net::ip::tcp::resolver::results_type& results) {
    Screened screened;
    std::size_t others = 0;
    for (const auto& entry : results) {
        const net::ip::address address = entry.endpoint().address();
        const auto why = refusal_of(address);
        if (!why) {
            screened.allowed.push_back(entry.endpoint());
        } else if (screened.refused.empty()) {
            screened.refused = "refused address " + refused_address_text(address, *why);
        } else {
            ++others;
        }
    }
    if (others > 0) screened.refused += " and " + std::to_string(others) + " more";
    return screened;
}

/// An attempt that got no response; `text`, when given, is what the deliveries list shows.
DeliveryResult failure(boost::system::error_code ec, std::string text = {}) {
    return {ec, 0, false, {}, std::move(text)};
}

}  // namespace

DeliveryConnection::DeliveryConnection(net::any_io_executor executor, net::ssl::context* tls,
                                       const EndpointUrl& url, std::chrono::milliseconds timeout,
                                       bool deny_private)
    : executor_(executor),
      tls_context_(tls),
      url_(url),
      timeout_(timeout),
      deny_private_(deny_private),
      resolver_(executor) {}

beast::tcp_stream& DeliveryConnection::lowest() {
    return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

void DeliveryConnection::send(std::shared_ptr<DeliveryRequest> request, Done done) {
    request_ = std::move(request);
    done_ = std::move(done);
    reused_ = connected_;
    if (connected_) return do_write();
    do_resolve();
}

void DeliveryConnection::close() {
    resolver_.cancel();
    boost::system::error_code ignored;
    if (plain_) plain_->socket().close(ignored);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
    connected_ = false;
}

void DeliveryConnection::do_resolve() {
    plain_.reset();
    tls_.reset();
    connected_ = false;
    if (url_.tls && tls_context_ != nullptr) {
        tls_.emplace(executor_, *tls_context_);
        if (!url_.host_is_ip) {
            // SNI: the server picks its certificate by the name we ask for.
            SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str());
        }
        tls_->set_verify_mode(net::ssl::verify_peer);
        tls_->set_verify_callback(net::ssl::host_name_verification(url_.host));
    } else {
        plain_.emplace(executor_);
    }
    lowest().expires_after(timeout_);
    // A name lookup is bounded by the system resolver's own timeouts (resolv.conf), not by
    // `timeout_`: the stream's timer cannot cancel getaddrinfo.
    resolver_.async_resolve(
            url_.host, std::to_string(url_.port),
            beast::bind_front_handler(&DeliveryConnection::on_resolve, shared_from_this()));
}

void DeliveryConnection::on_resolve(boost::system::error_code ec,
                                    net::ip::tcp::resolver::results_type results) {
    if (ec) return finish(failure(ec));
    auto on_connected = [self = shared_from_this()](boost::system::error_code ec, const auto&) {
        self->on_connect(ec);
    };
    lowest().expires_after(timeout_);
    if (!deny_private_) return lowest().async_connect(results, std::move(on_connected));
    // Checked here, on what we connect to, and not only at creation: a name's answer may
    // change at any time (DNS rebinding), and "localhost" passes creation as a name.
    Screened screened = screen(results);
    if (screened.allowed.empty()) {
        return finish(failure(make_error_code(boost::system::errc::permission_denied),
                              std::move(screened.refused)));
    }
    lowest().async_connect(screened.allowed, std::move(on_connected));  // copies the list
}

void DeliveryConnection::on_connect(boost::system::error_code ec) {
    if (ec) return finish(failure(ec));
    lowest().socket().set_option(net::ip::tcp::no_delay(true), ec);
    if (!tls_) {
        connected_ = true;
        return do_write();
    }
    lowest().expires_after(timeout_);
    tls_->async_handshake(
            net::ssl::stream_base::client,
            beast::bind_front_handler(&DeliveryConnection::on_handshake, shared_from_this()));
}

void DeliveryConnection::on_handshake(boost::system::error_code ec) {
    if (ec) return finish(failure(ec));
    connected_ = true;
    do_write();
}

void DeliveryConnection::do_write() {
    lowest().expires_after(timeout_);
    const std::array<net::const_buffer, 2> buffers{net::buffer(request_->head),
                                                   net::buffer(request_->body)};
    auto handler = beast::bind_front_handler(&DeliveryConnection::on_write, shared_from_this());
    if (tls_) return net::async_write(*tls_, buffers, std::move(handler));
    net::async_write(*plain_, buffers, std::move(handler));
}

void DeliveryConnection::on_write(boost::system::error_code ec, std::size_t) {
    if (ec) return on_read(ec, 0);  // same recovery: a reused connection may have been closed
    parser_.emplace();
    parser_->body_limit(kMaxResponseBody);
    lowest().expires_after(timeout_);
    auto handler = beast::bind_front_handler(&DeliveryConnection::on_read, shared_from_this());
    if (tls_) return http::async_read(*tls_, buffer_, *parser_, std::move(handler));
    http::async_read(*plain_, buffer_, *parser_, std::move(handler));
}

void DeliveryConnection::on_read(boost::system::error_code ec, std::size_t) {
    if (ec) {
        const bool closed_by_peer = ec == http::error::end_of_stream || ec == net::error::eof ||
                                    ec == net::error::connection_reset ||
                                    ec == net::error::broken_pipe;
        if (reused_ && closed_by_peer) {
            // The peer closed an idle keep-alive connection as we sent: once more on a new one.
            reused_ = false;
            buffer_.clear();
            return do_resolve();
        }
        connected_ = false;
        return finish(failure(ec));
    }
    const auto& response = parser_->get();
    const bool keep = response.keep_alive();
    if (!keep) close();
    finish({{}, response.result_int(), keep, std::string(response[http::field::retry_after]), {}});
}

void DeliveryConnection::finish(DeliveryResult result) {
    if (result.error) close();
    request_.reset();
    parser_.reset();
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(result, shared_from_this());
}

}  // namespace herald::webhook
