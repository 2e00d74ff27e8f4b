#pragma once

#include <span>
#include <string_view>

#include "transport/http/http_types.hpp"

namespace herald::transport {

/// One file of web/, compiled into the binary (cmake/embed_web_assets.cmake).
struct StaticAsset {
    std::string_view path;          // "/herald.js"
    std::string_view content_type;  // "text/javascript; charset=utf-8"
    std::string_view body;
    std::string_view etag;  // strong, quoted: "\"0123456789abcdef\""
};

/// Every embedded asset; defined in the generated source.
std::span<const StaticAsset> static_assets();

/// The asset served at `path` ("/" is "/index.html"), or null.
const StaticAsset* find_static_asset(std::string_view path);

/// True when an If-None-Match header value names `etag` (or is "*"); weak forms match too
/// (RFC 9110: If-None-Match uses the weak comparison).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

/// The answer to a GET or HEAD of `asset`: 200 with the bytes, or 304 when the client's copy is
/// current. Cache-Control "no-cache": a browser keeps the file but revalidates it each time, so a
/// new binary's assets are seen at once, at the price of a 304 round trip.
Response static_response(const StaticAsset& asset, const Request& request);

}  // namespace herald::transport
