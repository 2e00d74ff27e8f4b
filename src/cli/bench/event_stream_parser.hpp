#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace herald::cli::bench {

/// One dispatched Server-Sent Event. Views into the parser: valid during the callback only.
struct SseEvent {
    std::string_view id;     // the last event ID, which persists across events (as in browsers)
    std::string_view event;  // "message" when the event named none
    std::string_view data;   // data lines joined with '\n', without the final one
};

/// Splits a byte stream into lines ending in LF, CRLF or CR, the line endings the SSE format
/// allows. Bytes arrive in arbitrary pieces: a line, even a CRLF pair, may span two of them.
/// Thread: its owner's.
class LineSplitter {
public:
    using OnLine = std::function<void(std::string_view line)>;
    /// Calls `on_line` for each complete line of `bytes`, without its line ending.
    void feed(std::string_view bytes, const OnLine& on_line);

private:
    std::string partial_;   // the line so far, when it started in an earlier piece
    bool skip_lf_ = false;  // the last piece ended in CR: an LF opening the next belongs to it
};

/// Incremental parser of a `text/event-stream` body, after the WHATWG "Server-sent events"
/// processing model: comments (`: keepalive`) and `retry` are skipped, `data` lines are joined,
/// a blank line dispatches, an event without data is dropped (Herald's `retry: 2000` preamble).
/// Thread: its owner's.
class SseParser {
public:
    using OnEvent = std::function<void(const SseEvent& event)>;
    void feed(std::string_view bytes, const OnEvent& on_event);
    const std::string& last_event_id() const { return id_; }

private:
    void line(std::string_view text, const OnEvent& on_event);
    void dispatch(const OnEvent& on_event);

    LineSplitter lines_;
    bool started_ = false;  // a UTF-8 byte order mark may open the stream
    std::string id_;
    std::string event_;
    std::string data_;
    bool has_data_ = false;
};

/// Incremental parser of an NDJSON body (`application/x-ndjson`, or Nchan's http-raw-stream):
/// one callback per non-empty line; empty lines are keepalives. CRLF is tolerated.
/// Thread: its owner's.
class NdjsonParser {
public:
    using OnLine = std::function<void(std::string_view line)>;
    void feed(std::string_view bytes, const OnLine& on_line);

private:
    LineSplitter lines_;
};

/// The unsigned integer after the first `key` (say `"seq":`) in `json`, without parsing the
/// rest; false when absent. Bench payloads are known shapes, and a full parse per delivery
/// would make the load generator, not the server, the bottleneck.
bool find_number(std::string_view json, std::string_view key, std::uint64_t& number);

}  // namespace herald::cli::bench
