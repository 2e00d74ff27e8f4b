#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::wire::websocket {

/// The one LZ77 window Herald deflates with. One compressed frame per message serves every
/// subscriber (Deflater), so no offer can get a smaller window of its own.
inline constexpr int kServerWindowBits = 15;

struct DeflateNegotiationOptions {
    /// Answer client_no_context_takeover even when the offer lacks it (RFC 7692 §7.1.1.2 lets the
    /// server ask). Then each client message inflates on its own, so a connection keeps no inflate
    /// window (32 KiB + ~7 KiB of zlib state) between messages and one Inflater can serve a
    /// whole shard: docs/ARCHITECTURE.md wants an idle connection under 2 KiB. Off: only when
    /// offered.
    bool require_client_no_context_takeover = true;
};

/// A permessage-deflate agreement (RFC 7692). The server side is always no context takeover.
struct DeflateAgreement {
    /// Client messages are deflated independently: Inflater(no_context_takeover = true).
    bool client_no_context_takeover = false;
    /// The Sec-WebSocket-Extensions value of the 101 response.
    std::string response;
};

/// Picks the first acceptable permessage-deflate offer in `extensions`, the request's
/// Sec-WebSocket-Extensions values (several header lines joined with ","). nullopt: answer
/// without the extension. An offer is declined (and the next one tried) when it repeats or
/// misspells a parameter, gives a window outside 8..15, or asks for server_max_window_bits
/// below kServerWindowBits. The answer always has server_no_context_takeover, which makes one
/// compressed frame valid for every subscriber; it has server_max_window_bits=15 when the offer
/// names it (§7.1.2.1: accepting it means answering it) and never client_max_window_bits (our
/// inflater takes any window up to 15).
[[nodiscard]] std::optional<DeflateAgreement> negotiate_permessage_deflate(
        std::string_view extensions, DeflateNegotiationOptions options = {});

}  // namespace herald::wire::websocket
