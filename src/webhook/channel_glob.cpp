#include "webhook/channel_glob.hpp"

#include "core/channel_name.hpp"

namespace herald::webhook {
namespace {

std::string quoted(std::string_view text) {
    std::string out = "\"";
    // Keep error messages short and printable whatever a client sent.
    for (char c : text.substr(0, 64)) {
        const bool printable = c >= 0x20 && c < 0x7f;
        out += printable ? c : '?';
    }
    if (text.size() > 64) out += "...";
    return out + "\"";
}

}  // namespace

std::variant<ChannelGlob, InvalidInput> ChannelGlob::parse(std::string_view pattern) {
    if (pattern.empty()) return InvalidInput{"channel glob must not be empty"};
    const std::size_t star = pattern.find('*');
    if (star != std::string_view::npos && star != pattern.size() - 1) {
        return InvalidInput{"channel glob " + quoted(pattern) +
                            ": '*' is allowed only once, at the end (\"room:*\")"};
    }
    const bool wildcard = star != std::string_view::npos;
    const std::string_view prefix = wildcard ? pattern.substr(0, star) : pattern;
    // A prefix is a channel name cut short: the same alphabet and length limit.
    if (!prefix.empty() && !core::is_valid_channel(prefix)) {
        return InvalidInput{
                "channel glob " + quoted(pattern) +
                ": use channel characters [A-Za-z0-9._:@-] (at most 200) and a final '*'"};
    }
    return ChannelGlob(std::string(prefix), wildcard);
}

bool ChannelGlob::matches(std::string_view channel) const {
    return wildcard_ ? channel.starts_with(prefix_) : channel == prefix_;
}

}  // namespace herald::webhook
