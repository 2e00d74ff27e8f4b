#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herald::transport {

/// What a browser may do, judged by the `Origin` and `Host` headers it sends (API.md Auth,
/// docs/SECURITY.md). A page of another site may make a visitor's browser call Herald: CORS and
/// the WebSocket Origin check decide what it may read. A DNS-rebinding page goes further: its
/// own name now resolves to Herald, so its Origin matches its Host; only the Host tells, since
/// it is the attacker's name, not one Herald is served as.

/// Whether `origin` ("https://host:port") names the host the request was sent to: a page this
/// server served (the chat demo), which never has to be listed.
bool same_origin(std::string_view origin, std::string_view host);

/// Whether a page of `origin` may call the API or open a WebSocket: none given (not a browser),
/// the server's own, or one of `allowed` (`*`: any).
bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host);

/// Whether the Host header names this machine by a loopback address or name, any port:
/// `localhost`, `127.x.x.x`, `[::1]`.
bool is_loopback_host(std::string_view host);

/// Whether the Host header is one of `allowed` (http.allowed_hosts): an entry with a port must
/// match it too, one without matches any port. Case-insensitive.
bool host_listed(const std::vector<std::string>& allowed, std::string_view host);

}  // namespace herald::transport
