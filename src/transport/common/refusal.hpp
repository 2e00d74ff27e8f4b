#pragma once

#include <string>
#include <string_view>

#include "runtime/listener.hpp"

namespace herald::transport {

/// A whole HTTP/1.1 error answer (API.md error shape) that closes the connection, for refusals
/// made before any session exists. `extra_headers`: whole lines, each ending in CRLF.
std::string closing_error_answer(std::string_view status_line, std::string_view extra_headers,
                                 std::string_view code, std::string_view message);

/// Sends `answer` (none: nothing) without waiting, as it fits the empty send buffer of a new
/// socket; drops what the client sent already, so the close does not reset the answer away; and
/// closes the socket.
void refuse_connection(runtime::Socket& socket, std::string_view answer);

}  // namespace herald::transport
