#include "wire/presence_json.hpp"

#include "core/message.hpp"

namespace herald::wire {

namespace {

void append_user(std::string& out, const std::optional<std::string>& user) {
    out += ",\"user\":";
    if (user) {
        core::append_json_string(out, *user);
    } else {
        out += "null";
    }
}

/// [{"client","user"[,"transport","since"]},...]
void append_clients(std::string& out, const std::vector<core::PresenceEntry>& clients,
                    bool detailed) {
    out += '[';
    for (std::size_t i = 0; i < clients.size(); ++i) {
        const core::PresenceEntry& entry = clients[i];
        if (i != 0) out += ',';
        out += "{\"client\":";
        core::append_json_string(out, entry.client);
        append_user(out, entry.user);
        if (detailed) {
            out += ",\"transport\":";
            core::append_json_string(out, entry.transport);
            out += ",\"since\":";
            out += std::to_string(entry.since);
        }
        out += '}';
    }
    out += ']';
}

}  // namespace

std::string presence_reply(const std::string& channel,
                           const std::vector<core::PresenceEntry>& clients) {
    std::string out = "{\"channel\":";
    core::append_json_string(out, channel);
    out += ",\"clients\":";
    append_clients(out, clients, true);
    out += '}';
    return out;
}

std::string ws_presence(const std::string& channel, const std::vector<core::PresenceEntry>& clients,
                        const std::optional<std::string>& ref) {
    std::string out = "{\"type\":\"presence\",\"channel\":";
    core::append_json_string(out, channel);
    out += ",\"clients\":";
    append_clients(out, clients, false);
    if (ref) {
        out += ",\"ref\":";
        out += *ref;  // kept as the client wrote it
    }
    out += '}';
    return out;
}

std::string ws_presence_change(const core::PresenceChange& change) {
    std::string out = change.kind == core::PresenceChange::Kind::join
                              ? "{\"type\":\"join\",\"channel\":"
                              : "{\"type\":\"leave\",\"channel\":";
    core::append_json_string(out, change.channel);
    out += ",\"client\":";
    core::append_json_string(out, change.client);
    append_user(out, change.user);
    out += '}';
    return out;
}

}  // namespace herald::wire
