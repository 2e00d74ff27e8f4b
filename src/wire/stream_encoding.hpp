#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/channel_service.hpp"
#include "core/message.hpp"

namespace herald::wire {

/// Server-Sent Events (API.md): `retry:` first, then an event per message.
std::string sse_retry(std::chrono::milliseconds retry);
/// "id: <seq>\nevent: <event>\ndata: <message JSON>\n\n"
std::string sse_event(const core::Message& message);
/// "event: gap\ndata: {"type":"gap",...}\n\n": messages after..first_seq-1 are gone.
std::string sse_gap_event(const std::string& channel, const core::Gap& gap);
/// A comment line that keeps proxies from closing an idle stream.
inline constexpr std::string_view kSseKeepalive = ": keepalive\n\n";

/// HTTP streaming (API.md): one message JSON per line.
std::string ndjson_line(const core::Message& message);
std::string ndjson_gap_line(const std::string& channel, const core::Gap& gap);
/// An empty line as keepalive.
inline constexpr std::string_view kNdjsonKeepalive = "\n";

}  // namespace herald::wire
