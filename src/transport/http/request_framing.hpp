#pragma once

#include <optional>

#include "transport/http/http_types.hpp"

namespace herald::transport {

/// RFC 9112 checks on a request's header, made before its body is read: the answer to send
/// (the connection is then closed, nothing past the header read) when the request's framing
/// cannot be trusted, nothing when it can.
///
/// - Transfer-Encoding other than exactly `chunked` (`identity`, `gzip`, `chunked, identity`,
///   `gzip, chunked`, two fields): 400, or 501 for a coding that is not registered. Taken as
///   "no body", such a request would let its body be read as the next request (smuggling
///   behind a proxy that reads the body). Herald decodes no content coding.
/// - Transfer-Encoding together with Content-Length, or in an HTTP/1.0 request: 400 (6.1).
/// - No Host in HTTP/1.1, or more than one: 400 (3.2).
std::optional<Response> framing_refusal(const http::request_header<>& header);

}  // namespace herald::transport
