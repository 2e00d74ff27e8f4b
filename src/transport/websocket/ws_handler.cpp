#include "transport/websocket/ws_handler.hpp"

#include <algorithm>
#include <sstream>

#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "transport/http/browser_policy.hpp"
#include "transport/http/responses.hpp"
#include "transport/websocket/ws_session.hpp"
#include "wire/websocket/deflate_negotiation.hpp"

namespace herald::transport {

using wire::ApiError;

namespace {

/// The key is base64 of 16 random bytes: 24 characters ending in "==".
bool is_valid_key(std::string_view key) {
    if (key.size() != 24 || !key.ends_with("==")) return false;
    for (char c : key.substr(0, 22)) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
    }
    return true;
}

/// Whether the comma-separated `offers` contain `protocol`.
bool offers(std::string_view list, std::string_view protocol) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (item == protocol) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string extension_offers(const Request& request) {
    std::string joined;
    auto [it, end] = request.equal_range(http::field::sec_websocket_extensions);
    for (; it != end; ++it) {
        if (!joined.empty()) joined += ',';
        joined.append(it->value());
    }
    return joined;
}

}  // namespace

void handle_ws_upgrade(HttpContext& context, runtime::ShardId shard, const Request& request,
                       ExchangePtr exchange, auth::GrantPtr grant) {
    if (!beast::websocket::is_upgrade(request)) {
        return exchange->respond(
                error_response(ApiError::bad_request, "expected a WebSocket upgrade request"));
    }
    if (request[http::field::sec_websocket_version] != "13") {
        Response response =
                error_response(ApiError::bad_request, "Sec-WebSocket-Version must be 13");
        response.result(http::status::upgrade_required);
        response.set(http::field::sec_websocket_version, "13");
        return exchange->respond(std::move(response));
    }
    // Browsers send Origin and let any page open a WebSocket: http.allowed_origins decides, as
    // CORS does for responses, and the server's own pages always may. Clients that are not
    // browsers send none.
    if (!origin_allowed(context.limits.allowed_origins, request[http::field::origin],
                        request[http::field::host])) {
        return exchange->respond(error_response(ApiError::forbidden, "origin not allowed"));
    }
    // DNS rebinding: the attacker's page has its Origin and Host under its own name. Once the
    // operator names the hosts Herald is served as, no other Host opens a WebSocket.
    const auto& hosts = context.limits.allowed_hosts;
    const std::string_view host = request[http::field::host];
    if (!hosts.empty() && !is_loopback_host(host) && !host_listed(hosts, host)) {
        return exchange->respond(
                error_response(ApiError::forbidden, "host not allowed (http.allowed_hosts)"));
    }
    const auto key = request[http::field::sec_websocket_key];
    if (!is_valid_key(key)) {
        return exchange->respond(
                error_response(ApiError::bad_request, "Sec-WebSocket-Key is missing or malformed"));
    }
    beast::websocket::detail::sec_ws_accept_type accept;
    beast::websocket::detail::make_sec_ws_accept(accept, key);

    Response head{http::status::switching_protocols, request.version()};
    head.set(http::field::upgrade, "websocket");
    head.set(http::field::connection, "Upgrade");
    head.set(http::field::sec_websocket_accept, std::string_view(accept.data(), accept.size()));
    if (offers(request[http::field::sec_websocket_protocol], "herald.v1")) {
        head.set(http::field::sec_websocket_protocol, "herald.v1");
    }
    bool deflate = false;
    if (context.websocket.deflate) {
        if (auto agreement =
                    wire::websocket::negotiate_permessage_deflate(extension_offers(request))) {
            head.set(http::field::sec_websocket_extensions, agreement->response);
            deflate = true;
        }
    }
    std::optional<HandedOver> handed = exchange->hand_over(head);
    if (!handed) return;
    std::ostringstream serialized;
    serialized << head.base();
    WsSession::Setup setup{shard, std::move(serialized).str(), deflate, std::move(grant),
                           std::move(handed->address_slot)};
    std::make_shared<WsSession>(std::move(handed->socket), std::move(setup), context.channels,
                                context.services(shard), context.connections, context.websocket,
                                context.metrics.shard(shard))
            ->start(std::move(handed->unread));
}

}  // namespace herald::transport
