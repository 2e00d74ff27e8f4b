#include "cli/bench/event_stream_parser.hpp"

#include <charconv>

namespace herald::cli::bench {

namespace {

/// The first CR or LF at or after `at`. By hand: string_view::find_first_of calls memchr on
/// the set once per byte, which made line splitting the client's largest cost.
std::size_t find_line_end(std::string_view bytes, std::size_t at) {
    for (; at < bytes.size(); ++at) {
        if (bytes[at] == '\n' || bytes[at] == '\r') return at;
    }
    return std::string_view::npos;
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
    const std::size_t at = json.find(key);
    if (at == std::string_view::npos) return false;
    const char* begin = json.data() + at + key.size();
    const char* end = json.data() + json.size();
    while (begin < end && *begin == ' ')
        ++begin;
    return std::from_chars(begin, end, number).ec == std::errc{};
}

}  // namespace herald::cli::bench
