#include "wire/stream_encoding.hpp"

#include "wire/json_responses.hpp"
#include "wire/json_text.hpp"

namespace herald::wire {

std::string sse_retry(std::chrono::milliseconds retry) {
    return "retry: " + std::to_string(retry.count()) + "\n\n";
}

std::string sse_event(const core::Message& message) {
    // The message JSON holds no raw newline (JSON escapes them), so one data line suffices.
    std::string event;
    event.reserve(message.json().size() + message.event().size() + 48);
    event += "id: ";
    event += std::to_string(message.seq());
    event += "\nevent: ";
    event += message.event();
    event += "\ndata: ";
    assert_json(message.json());
    event += message.json();
    event += "\n\n";
    return event;
}

std::string sse_gap_event(const std::string& channel, const core::Gap& gap) {
    return "event: gap\ndata: " + gap_object(channel, gap) + "\n\n";
}

std::string ndjson_line(const core::Message& message) {
    assert_json(message.json());
    return message.json() + "\n";
}

std::string ndjson_gap_line(const std::string& channel, const core::Gap& gap) {
    return gap_object(channel, gap) + "\n";
}

}  // namespace herald::wire
