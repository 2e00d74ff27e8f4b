#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace herald::transport {

/// The server side of TLS (tls.cert, tls.key): TLS 1.2 and 1.3 only, ALPN `http/1.1`, buffers
/// released while a connection is idle.
/// Throws std::runtime_error naming the file and OpenSSL's reason when the certificate chain
/// or the key cannot be loaded or do not belong together: start-up only.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file);

}  // namespace herald::transport
