#include "core/message.hpp"

#include <cstdio>

namespace herald::core {

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

const std::string& Message::encoded(WireForm form, const Encoder& encode) const {
    Encoded& slot = encoded_[static_cast<std::size_t>(form)];
    std::call_once(slot.once, [&] { slot.bytes = encode(*this); });
    return slot.bytes;
}

Message::Message(storage::StoredMessage stored) : stored_(std::move(stored)) {
    json_.reserve(64 + stored_.channel.size() + stored_.id.size() + stored_.event.size() +
                  stored_.data.size());
    json_ += "{\"channel\":";
    append_json_string(json_, stored_.channel);
    json_ += ",\"seq\":";
    json_ += std::to_string(stored_.seq);
    json_ += ",\"id\":";
    append_json_string(json_, stored_.id);
    json_ += ",\"event\":";
    append_json_string(json_, stored_.event);
    json_ += ",\"data\":";
    json_ += stored_.data;
    json_ += ",\"time\":";
    json_ += std::to_string(stored_.time);
    json_ += '}';
}

}  // namespace herald::core
