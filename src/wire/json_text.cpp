#include "wire/json_text.hpp"

#include <cstdio>
#include <cstdlib>

#include <boost/json/parse.hpp>

namespace herald::wire {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Walks text already known to be valid JSON: no bound or syntax check is needed beyond the
/// end of the text.
class JsonWalker {
public:
    explicit JsonWalker(std::string_view text) : text_(text) {}

    std::size_t at() const { return at_; }
    char peek() {
        skip_space();
        return at_ < text_.size() ? text_[at_] : '\0';
    }
    void take() { ++at_; }

    /// Past one string, its quotes included.
    void skip_string() {
        for (++at_; at_ < text_.size() && text_[at_] != '"'; ++at_) {
            if (text_[at_] == '\\') ++at_;  // the escaped character is never the closing quote
        }
        ++at_;
    }

    /// Past one value of any kind; returns where it started.
    std::size_t skip_value() {
        skip_space();
        const std::size_t start = at_;
        if (text_[at_] == '"') {
            skip_string();
            return start;
        }
        if (text_[at_] != '{' && text_[at_] != '[') {
            // A number, true, false or null: up to the next delimiter.
            while (at_ < text_.size() && !is_space(text_[at_]) && text_[at_] != ',' &&
                   text_[at_] != '}' && text_[at_] != ']') {
                ++at_;
            }
            return start;
        }
        int depth = 0;
        do {
            const char c = text_[at_];
            if (c == '"') {
                skip_string();
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') --depth;
            ++at_;
        } while (depth > 0);
        return start;
    }

private:
    void skip_space() {
        while (at_ < text_.size() && is_space(text_[at_]))
            ++at_;
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

/// Whether the JSON string literal `quoted` (quotes included) spells `name`. Escapes are rare in
/// member names; only then is the literal decoded.
bool names(std::string_view quoted, std::string_view name) {
    const std::string_view raw = quoted.substr(1, quoted.size() - 2);
    if (raw.find('\\') == std::string_view::npos) return raw == name;
    boost::system::error_code ec;
    const auto decoded = boost::json::parse(quoted, ec);
    return !ec && decoded.is_string() && decoded.as_string() == name;
}

}  // namespace

std::optional<std::string> member_text(std::string_view object_text, std::string_view name) {
    JsonWalker walker(object_text);
    if (walker.peek() != '{') return std::nullopt;
    walker.take();
    std::optional<std::string_view> found;
    while (walker.peek() == '"') {
        const std::size_t key_start = walker.at();
        walker.skip_string();
        const std::string_view key = object_text.substr(key_start, walker.at() - key_start);
        walker.peek();  // to the ':'
        walker.take();
        const std::size_t value_start = walker.skip_value();
        if (names(key, name)) {
            found = object_text.substr(value_start, walker.at() - value_start);
        }
        if (walker.peek() == ',') walker.take();
    }
    if (!found) return std::nullopt;
    return compact_json(*found);
}

std::optional<std::vector<std::string>> array_items_text(std::string_view array_text) {
    JsonWalker walker(array_text);
    if (walker.peek() != '[') return std::nullopt;
    walker.take();
    std::vector<std::string> items;
    while (walker.peek() != ']' && walker.peek() != '\0') {
        const std::size_t start = walker.skip_value();
        items.push_back(compact_json(array_text.substr(start, walker.at() - start)));
        if (walker.peek() == ',') walker.take();
    }
    return items;
}

std::string compact_json(std::string_view json) {
    std::string out;
    out.reserve(json.size());
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            out += c;
            if (c == '\\') {
                out += json[++i];
            } else if (c == '"') {
                in_string = false;
            }
        } else if (!is_space(c)) {
            out += c;
            in_string = c == '"';
        }
    }
    return out;
}

void assert_json([[maybe_unused]] std::string_view text) {
#ifndef NDEBUG
    // Deeper than any publish body may be (the parser's default, 32) plus what wraps it.
    boost::json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    boost::json::parse(text, ec, {}, options);
    if (ec) {
        std::fprintf(stderr, "herald: about to send text that is not JSON (%s): %.*s\n",
                     ec.message().c_str(), static_cast<int>(text.size()), text.data());
        std::abort();
    }
#endif
}

}  // namespace herald::wire
