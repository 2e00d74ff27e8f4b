#include "transport/http/static_files.hpp"

#include <string>

namespace herald::transport {

const StaticAsset* find_static_asset(std::string_view path) {
    if (path == "/") path = "/index.html";
    for (const auto& asset : static_assets()) {
        if (asset.path == path) return &asset;
    }
    return nullptr;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    // A comma-separated list of entity tags, each maybe "W/"-prefixed, or "*".
    std::size_t position = 0;
    while (position < if_none_match.size()) {
        auto comma = if_none_match.find(',', position);
        if (comma == std::string_view::npos) comma = if_none_match.size();
        auto tag = if_none_match.substr(position, comma - position);
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) {
            tag.remove_prefix(1);
        }
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) {
            tag.remove_suffix(1);
        }
        if (tag == "*") return true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
        position = comma + 1;
    }
    return false;
}

Response static_response(const StaticAsset& asset, const Request& request) {
    const bool current = etag_matches(request[http::field::if_none_match], asset.etag);
    Response response{current ? http::status::not_modified : http::status::ok, 11};
    response.set(http::field::server, "herald");
    response.set(http::field::etag, asset.etag);
    response.set(http::field::cache_control, "no-cache");
    // Public files: a page of any origin may import herald.js as a module (which needs CORS).
    response.set(http::field::access_control_allow_origin, "*");
    if (!current) {
        response.set(http::field::content_type, asset.content_type);
        response.set("X-Content-Type-Options", "nosniff");
        response.body() = std::string(asset.body);
    }
    return response;
}

}  // namespace herald::transport
