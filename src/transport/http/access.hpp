#pragma once

#include <optional>
#include <string_view>

#include "auth/access.hpp"
#include "transport/http/http_types.hpp"
#include "transport/http/request_target.hpp"

namespace herald::transport {

/// The request's token: `Authorization: Bearer T`, else `?token=T` (EventSource and browsers'
/// WebSocket cannot set headers). Empty when there is none.
std::string_view request_token(const Request& request, const RequestTarget& target);

/// Who the request is: its grant, or the 401 to answer (API.md Auth: missing, malformed or
/// expired token; a WebSocket upgrade is refused the same way).
std::variant<auth::GrantPtr, Response> authenticate(const auth::Authenticator& authenticator,
                                                    const Request& request,
                                                    const RequestTarget& target);

/// 403 for a channel outside the grant's claims.
Response forbidden(std::string_view what, std::string_view channel);

}  // namespace herald::transport
