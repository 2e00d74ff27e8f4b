#include "webhook/base64.hpp"

#include <openssl/evp.h>

namespace herald::webhook {
namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/// How many `=` end `text`, or nothing when padding appears anywhere else or
/// a character is outside the alphabet.
std::optional<std::size_t> padding_of(std::string_view text) {
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    for (char c : text.substr(0, text.size() - padding)) {
        if (!is_base64_char(c)) return std::nullopt;
    }
    return padding;
}

}  // namespace

std::string base64_encode(std::span<const unsigned char> bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // +1: EVP writes a NUL
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                        static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<std::vector<unsigned char>> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    const auto padding = padding_of(text);
    if (!padding) return std::nullopt;
    std::vector<unsigned char> out(text.size() / 4 * 3);
    // EVP_DecodeBlock would also skip whitespace; the checks above have ruled that out.
    const int written =
            EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (written < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(written) - *padding);  // it counts padding as zero bytes
    return out;
}

}  // namespace herald::webhook
