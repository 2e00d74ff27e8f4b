#include "core/channel_name.hpp"

#include <algorithm>

namespace herald::core {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_valid_channel(std::string_view name) {
    if (name.empty() || name.size() > 200) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
    });
}

bool is_valid_event(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
    });
}

bool is_valid_message_id(std::string_view id) {
    if (id.empty() || id.size() > 200) return false;
    return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace herald::core
