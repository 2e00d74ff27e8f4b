#include "cli/client_stream.hpp"

#include <stdexcept>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/url/parse.hpp>

namespace herald::cli {

namespace ssl = net::ssl;

namespace {

std::shared_ptr<ssl::context> make_tls_context(const std::string& cacert) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_default_verify_paths();
    context->set_verify_mode(ssl::verify_peer);
    if (!cacert.empty()) {
        beast::error_code ec;
        context->load_verify_file(cacert, ec);
        if (ec) {
            throw std::invalid_argument("--cacert: cannot load '" + cacert +
                                        "' as PEM certificates: " + ec.message());
        }
    }
    return context;
}

}  // namespace

Endpoint make_endpoint(const std::string& url, const std::string& cacert) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    const bool tls = parsed && parsed->scheme() == "https";
    if (!parsed || (!tls && parsed->scheme() != "http") || parsed->host().empty()) {
        const std::string wanted = "http://HOST:PORT or https://HOST:PORT";
        throw std::invalid_argument("--url must look like " + wanted + ", not '" + url + "'");
    }
    std::string port = parsed->has_port() ? std::string(parsed->port()) : tls ? "443" : "80";
    return {std::string(parsed->host()), std::move(port), tls ? make_tls_context(cacert) : nullptr};
}

beast::tcp_stream& ClientStream::tcp() {
    return std::visit(
            [](auto& stream) -> beast::tcp_stream& { return beast::get_lowest_layer(stream); },
            stream_);
}

bool ClientStream::connect(ClientError& error) {
    if (endpoint_.tls) {
        stream_.emplace<TlsStream>(context_, *endpoint_.tls);
    } else {
        stream_.emplace<beast::tcp_stream>(context_);
    }
    beast::error_code ec;
    net::ip::tcp::resolver resolver(context_);
    auto endpoints = resolver.resolve(endpoint_.host, endpoint_.port, ec);
    if (!ec) tcp().connect(endpoints, ec);
    if (ec) {
        error = {"cannot connect to " + endpoint_.where() + ": " + ec.message()};
        return false;
    }
    TlsStream* tls = std::get_if<TlsStream>(&stream_);
    return tls == nullptr || handshake(*tls, error);
}

bool ClientStream::handshake(TlsStream& tls, ClientError& error) {
    SSL* ssl = tls.native_handle();
    const std::string& host = endpoint_.host;
    beast::error_code ec;
    net::ip::make_address(host, ec);
    const bool is_address = !ec;
    // The certificate must name the host (or list the address) in its subjectAltName. SNI
    // tells a server with several certificates which one we want; it never carries an address
    // (RFC 6066).
    if (is_address) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
        SSL_set1_host(ssl, host.c_str());
        SSL_set_tlsext_host_name(ssl, host.c_str());
    }
    ec = {};
    tls.handshake(ssl::stream_base::client, ec);
    if (!ec) return true;
    const long verified = SSL_get_verify_result(ssl);
    if (verified != X509_V_OK) {
        error = {"certificate verification failed for " + endpoint_.where() + ": " +
                         X509_verify_cert_error_string(verified) +
                         " (--cacert FILE trusts a private CA)",
                 true};
    } else if (ec.category() == net::error::get_ssl_category()) {
        // The server answered with something other than TLS (a plain HTTP server's 400), or
        // offered nothing we accept: the next try would end the same way.
        error = {"TLS handshake with " + endpoint_.where() + " failed: " + ec.message() +
                         "; is it an https server?",
                 true};
    } else {
        error = {"TLS handshake with " + endpoint_.where() + " failed: " + ec.message()};
    }
    return false;
}

void ClientStream::close() {
    beast::error_code ignored;
    tcp().socket().close(ignored);
}

void teardown(beast::role_type role, ClientStream& stream, beast::error_code& ec) {
    std::visit(
            [&](auto& layer) {
                using beast::websocket::teardown;
                teardown(role, layer, ec);
            },
            stream.stream_);
    // After the close frames the server closes TCP without a close_notify of its own: normal.
    if (ec == ssl::error::stream_truncated) ec = net::error::eof;
}

}  // namespace herald::cli
