#include "cli/bench/event_stream_parser.hpp"

#include <charconv>
#include <cstring>

#include <string.h>

namespace herald::cli::bench {

namespace {

/// The first CR or LF at or after `at`. Two memchr scans (vectorised) rather than a loop per
/// byte: line splitting was the load generator's largest cost, and the client, not the server,
/// bounded the SSE fan-out at saturation.
std::size_t find_line_end(std::string_view bytes, std::size_t at) {
    const char* begin = bytes.data() + at;
    const std::size_t size = bytes.size() - at;
    const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', size));
    const std::size_t until = lf == nullptr ? size : static_cast<std::size_t>(lf - begin);
    const auto* cr = static_cast<const char*>(std::memchr(begin, '\r', until));
    if (cr != nullptr) return at + static_cast<std::size_t>(cr - begin);
    return lf == nullptr ? std::string_view::npos : at + until;
}

}  // namespace

void LineSplitter::feed(std::string_view bytes, const OnLine& on_line) {
    std::size_t at = 0;
    if (skip_lf_ && !bytes.empty()) {
        skip_lf_ = false;
        if (bytes.front() == '\n') at = 1;
    }
    while (at < bytes.size()) {
        const std::size_t end = find_line_end(bytes, at);
        if (end == std::string_view::npos) {
            partial_.append(bytes.substr(at));
            return;
        }
        const std::string_view piece = bytes.substr(at, end - at);
        if (partial_.empty()) {
            on_line(piece);  // the common case: the whole line is in this piece, no copy
        } else {
            partial_.append(piece);
            on_line(partial_);
            partial_.clear();
        }
        at = end + 1;
        if (bytes[end] == '\r') {
            if (at == bytes.size()) {
                skip_lf_ = true;  // CR last: its LF, if any, comes with the next piece
            } else if (bytes[at] == '\n') {
                ++at;
            }
        }
    }
}

void SseParser::feed(std::string_view bytes, const OnEvent& on_event) {
    if (!started_ && !bytes.empty()) {
        started_ = true;
        if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    }
    lines_.feed(bytes, [this, &on_event](std::string_view text) { line(text, on_event); });
}

void SseParser::line(std::string_view text, const OnEvent& on_event) {
    if (text.empty()) return dispatch(on_event);
    if (text.front() == ':') return;  // a comment: `: keepalive`, Nchan's `: hi`
    const std::size_t colon = text.find(':');
    const std::string_view field = text.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : text.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (field == "data") {
        data_.append(value);
        data_.push_back('\n');
        has_data_ = true;
    } else if (field == "event") {
        event_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) id_.assign(value);
    }
    // `retry` and unknown fields: nothing a load generator acts on.
}

void SseParser::dispatch(const OnEvent& on_event) {
    if (has_data_) {
        data_.pop_back();  // the '\n' after the last data line
        on_event(SseEvent{id_, event_.empty() ? std::string_view("message") : event_, data_});
    }
    event_.clear();
    data_.clear();
    has_data_ = false;
}

void NdjsonParser::feed(std::string_view bytes, const OnLine& on_line) {
    lines_.feed(bytes, [&on_line](std::string_view line) {
        if (!line.empty()) on_line(line);
    });
}

bool find_number(std::string_view json, std::string_view key, std::uint64_t& number) {
    // memmem (two-way search) rather than string_view::find, which compares at every quote.
    const auto* found =
            static_cast<const char*>(::memmem(json.data(), json.size(), key.data(), key.size()));
    if (found == nullptr) return false;
    const char* begin = found + key.size();
    const char* end = json.data() + json.size();
    while (begin < end && *begin == ' ')
        ++begin;
    return std::from_chars(begin, end, number).ec == std::errc{};
}

}  // namespace herald::cli::bench
