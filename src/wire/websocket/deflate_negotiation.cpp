#include "wire/websocket/deflate_negotiation.hpp"

#include <cstddef>
#include <cstdint>

namespace herald::wire::websocket {

namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";

bool is_token_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Extension and parameter names are compared without case, as HTTP header tokens are.
bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

/// Reads the Sec-WebSocket-Extensions grammar (RFC 6455 §9.1): extensions separated by ",",
/// each `token *( ";" token [ "=" ( token / quoted-string ) ] )`, with optional whitespace.
class ExtensionLexer {
public:
    explicit ExtensionLexer(std::string_view text) : text_(text) {}

    bool at_end() {
        skip_whitespace();
        return pos_ == text_.size();
    }
    bool consume(char c) {
        skip_whitespace();
        if (pos_ == text_.size() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    /// Empty when no token starts here.
    std::string_view token() {
        skip_whitespace();
        const std::size_t start = pos_;
        while (pos_ < text_.size() && is_token_char(text_[pos_])) {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }
    /// A token, or the inside of a quoted-string (escapes left as they are: no permessage-deflate
    /// value needs one, so an escaped value simply fails its check). nullopt: neither.
    std::optional<std::string_view> value() {
        if (!consume('"')) {
            const std::string_view plain = token();
            return plain.empty() ? std::nullopt : std::optional(plain);
        }
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') {
            pos_ += text_[pos_] == '\\' ? 2 : 1;
        }
        if (pos_ >= text_.size()) return std::nullopt;  // unterminated
        return text_.substr(start, pos_++ - start);
    }

private:
    void skip_whitespace() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) {
            ++pos_;
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

/// One permessage-deflate offer as its parameters are read.
struct Offer {
    bool acceptable = true;
    bool client_no_context_takeover = false;
    bool server_max_window_bits = false;
    std::uint8_t seen = 0;  // a bit per parameter: a repeat declines the offer (§7.1)
};

/// RFC 7692 §7.1.2: a decimal integer from 8 to 15 without leading zeros.
std::optional<int> window_bits(std::string_view value) {
    if (value.size() == 1 && value[0] >= '8' && value[0] <= '9') return value[0] - '0';
    if (value.size() == 2 && value[0] == '1' && value[1] >= '0' && value[1] <= '5') {
        return 10 + (value[1] - '0');
    }
    return std::nullopt;
}

void apply_param(Offer& offer, std::string_view name, std::optional<std::string_view> value) {
    static constexpr std::string_view kNames[] = {
            "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
            "client_max_window_bits"};
    std::size_t index = 0;
    while (index < std::size(kNames) && !equals_ignoring_case(name, kNames[index])) {
        ++index;
    }
    const auto bit = static_cast<std::uint8_t>(1U << index);
    if (index == std::size(kNames) || (offer.seen & bit) != 0) {
        offer.acceptable = false;  // unknown or repeated
        return;
    }
    offer.seen |= bit;
    switch (index) {
        case 0: offer.acceptable &= !value.has_value(); break;
        case 1:
            offer.acceptable &= !value.has_value();
            offer.client_no_context_takeover = true;
            break;
        case 2: {
            // Our one shared deflater cannot honour a window smaller than its own.
            const auto bits = value ? window_bits(*value) : std::nullopt;
            offer.acceptable &= bits.has_value() && *bits >= kServerWindowBits;
            offer.server_max_window_bits = true;
            break;
        }
        default: offer.acceptable &= !value || window_bits(*value).has_value(); break;
    }
}

DeflateAgreement agree(const Offer& offer, DeflateNegotiationOptions options) {
    DeflateAgreement agreement;
    agreement.client_no_context_takeover =
            offer.client_no_context_takeover || options.require_client_no_context_takeover;
    agreement.response = "permessage-deflate; server_no_context_takeover";
    if (agreement.client_no_context_takeover) agreement.response += "; client_no_context_takeover";
    if (offer.server_max_window_bits) {
        agreement.response += "; server_max_window_bits=" + std::to_string(kServerWindowBits);
    }
    return agreement;
}

}  // namespace

std::optional<DeflateAgreement> negotiate_permessage_deflate(std::string_view extensions,
                                                             DeflateNegotiationOptions options) {
    ExtensionLexer lexer(extensions);
    std::optional<DeflateAgreement> chosen;
    while (!lexer.at_end()) {
        if (lexer.consume(',')) continue;  // empty list elements are legal (RFC 7230 §7)
        const std::string_view name = lexer.token();
        if (name.empty()) return std::nullopt;  // malformed: take no extension at all
        const bool ours = equals_ignoring_case(name, kExtensionName);
        Offer offer;
        while (lexer.consume(';')) {
            const std::string_view param = lexer.token();
            if (param.empty()) return std::nullopt;
            std::optional<std::string_view> value;
            if (lexer.consume('=')) {
                value = lexer.value();
                if (!value) return std::nullopt;
            }
            if (ours) apply_param(offer, param, value);
        }
        if (!lexer.at_end() && !lexer.consume(',')) return std::nullopt;
        if (ours && offer.acceptable && !chosen) chosen = agree(offer, options);
    }
    return chosen;
}

}  // namespace herald::wire::websocket
