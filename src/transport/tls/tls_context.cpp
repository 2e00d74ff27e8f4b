#include "transport/tls/tls_context.hpp"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace herald::transport {

namespace ssl = boost::asio::ssl;

namespace {

// Length-prefixed, as ALPN lists are on the wire.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

/// Picks http/1.1 from the client's ALPN list. A client that offers ALPN without it (h2 only)
/// gets the no_application_protocol alert RFC 7301 asks for, rather than a protocol it did not
/// ask for; a client that offers no ALPN at all is not called here and speaks HTTP/1.1.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                unsigned int in_length, void*) {
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, out_length, kAlpnHttp11, sizeof kAlpnHttp11, in,
                              in_length) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

[[noreturn]] void fail(const std::string& what, const boost::system::error_code& ec) {
    throw std::runtime_error(what + ": " + ec.message());
}

}  // namespace

std::unique_ptr<ssl::context> make_server_tls_context(const std::string& cert_file,
                                                      const std::string& key_file) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                 ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                 ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                         ec);
    if (ec) fail("tls: cannot set options", ec);
    context->use_certificate_chain_file(cert_file, ec);
    if (ec) fail("tls.cert " + cert_file, ec);
    context->use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
        throw std::runtime_error("tls.key " + key_file + " does not match tls.cert " + cert_file);
    }
    if (ec) fail("tls.key " + key_file, ec);
    SSL_CTX* native = context->native_handle();
    if (SSL_CTX_check_private_key(native) != 1) {
        ERR_clear_error();
        throw std::runtime_error("tls.key " + key_file + " does not match tls.cert " + cert_file);
    }
    // Idle connections are most of a real-time server's: OpenSSL frees its record buffers
    // between reads and writes instead of keeping about 34 KiB per connection.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // Browsers often close without close_notify: an end of stream is an end, not an error.
    SSL_CTX_set_options(native, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
    return context;
}

}  // namespace herald::transport
