#include "transport/http/access.hpp"

#include <boost/beast/core/string.hpp>

#include "transport/http/responses.hpp"
#include "util/clock.hpp"

namespace herald::transport {

std::string_view request_token(const Request& request, const RequestTarget& target) {
    const std::string_view header = request[http::field::authorization];
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() > kBearer.size() &&
        beast::iequals(header.substr(0, kBearer.size()), kBearer)) {
        return header.substr(kBearer.size());
    }
    return target.param("token").value_or(std::string_view());
}

std::variant<auth::GrantPtr, Response> authenticate(const auth::Authenticator& authenticator,
                                                    const Request& request,
                                                    const RequestTarget& target) {
    auto result = authenticator.authenticate(request_token(request, target), unix_millis() / 1000);
    if (auto* grant = std::get_if<auth::GrantPtr>(&result)) return std::move(*grant);
    const auth::TokenError error = std::get<auth::TokenError>(result);
    Response response = error_response(wire::ApiError::unauthorized, auth::message_of(error));
    // RFC 6750: say how to authenticate, and why the token given was refused.
    response.set(http::field::www_authenticate,
                 error == auth::TokenError::missing ? "Bearer" : "Bearer error=\"invalid_token\"");
    return response;
}

Response forbidden(std::string_view what, std::string_view channel) {
    std::string message = "the token may not ";
    message += what;
    message += " channel ";
    message += channel;
    return error_response(wire::ApiError::forbidden, message);
}

}  // namespace herald::transport
