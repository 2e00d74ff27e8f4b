#include "storage/redis/redis_log_keys.hpp"

#include <algorithm>
#include <charconv>

namespace herald::storage::redis {

namespace {

constexpr std::string_view kFanoutSuffix = ":fanout";

/// A decimal number of `text`, all of it.
template <class Number>
std::optional<Number> number(std::string_view text) {
    Number value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

/// Reads netstrings (`<length>:<bytes>`) off the front of a payload.
class Netstrings {
public:
    explicit Netstrings(std::string_view payload) : rest_(payload) {}

    std::optional<std::string_view> next() {
        const auto colon = rest_.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        const auto length = number<std::size_t>(rest_.substr(0, colon));
        if (!length || *length > rest_.size() - colon - 1) return std::nullopt;
        const std::string_view bytes = rest_.substr(colon + 1, *length);
        rest_.remove_prefix(colon + 1 + *length);
        return bytes;
    }
    template <class Number>
    std::optional<Number> next_number() {
        const auto text = next();
        return text ? number<Number>(*text) : std::nullopt;
    }
    bool done() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

/// Reads a message's fields (encode_message_fields) into `message`; false when they are not.
bool read_message_fields(Netstrings& fields, StoredMessage& message) {
    const auto id = fields.next();
    const auto event = fields.next();
    const auto data = fields.next();
    const auto time = fields.next_number<std::int64_t>();
    if (!id || !event || !data || !time) return false;
    message.id = std::string(*id);
    message.event = std::string(*event);
    message.data = std::string(*data);
    message.time = *time;
    return true;
}

/// The seq of a stream entry id, `<seq>-0`.
std::optional<Seq> seq_of_entry(std::string_view id) {
    const auto dash = id.find('-');
    if (dash == std::string_view::npos || id.substr(dash + 1) != "0") return std::nullopt;
    return number<Seq>(id.substr(0, dash));
}

}  // namespace

std::uint16_t crc16(std::string_view bytes) {
    std::uint16_t crc = 0;
    for (const char byte : bytes) {
        crc ^= static_cast<std::uint16_t>(static_cast<unsigned char>(byte) << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                      : static_cast<std::uint16_t>(crc << 1);
        }
    }
    return crc;
}

std::size_t partition_of(std::string_view channel) {
    return crc16(channel) % kPartitions;
}

std::string LogKeys::tag(std::size_t partition) const {
    return std::string(prefix_).append(":{p").append(std::to_string(partition)).append("}");
}

std::string LogKeys::index(std::size_t partition) const {
    return tag(partition).append(":channels");
}

std::string LogKeys::fanout(std::size_t partition) const {
    return tag(partition).append(kFanoutSuffix);
}

std::string LogKeys::channel_base(std::size_t partition) const {
    return tag(partition).append(":c:");
}

std::string LogKeys::channel_key(std::string_view channel, std::string_view suffix) const {
    return channel_base(partition_of(channel)).append(channel).append(":").append(suffix);
}

std::optional<std::size_t> LogKeys::partition_of_fanout(std::string_view name) const {
    const std::string head = std::string(prefix_).append(":{p");
    if (!name.starts_with(head) || !name.ends_with(kFanoutSuffix)) return std::nullopt;
    name.remove_prefix(head.size());
    name.remove_suffix(kFanoutSuffix.size());
    if (!name.ends_with('}')) return std::nullopt;
    name.remove_suffix(1);
    const auto partition = number<std::size_t>(name);
    if (!partition || *partition >= kPartitions) return std::nullopt;
    return partition;
}

void append_netstring(std::string& out, std::string_view bytes) {
    out.append(std::to_string(bytes.size())).append(":").append(bytes);
}

std::optional<std::vector<std::string_view>> split_netstrings(std::string_view payload) {
    Netstrings fields(payload);
    std::vector<std::string_view> parts;
    while (!fields.done()) {
        const auto part = fields.next();
        if (!part) return std::nullopt;
        parts.push_back(*part);
    }
    return parts;
}

std::string encode_message_fields(std::string_view id, std::string_view event,
                                  std::string_view data, std::int64_t time) {
    const std::string time_text = std::to_string(time);
    std::string out;
    out.reserve(id.size() + event.size() + data.size() + time_text.size() + 32);
    append_netstring(out, id);
    append_netstring(out, event);
    append_netstring(out, data);
    append_netstring(out, time_text);
    return out;
}

std::optional<FanoutBatch> decode_fanout(std::string_view payload) {
    Netstrings fields(payload);
    FanoutBatch batch;
    const auto channel = fields.next();
    const auto epoch = fields.next();
    const auto count = fields.next_number<std::size_t>();
    if (!channel || !epoch || !count || *count == 0) return std::nullopt;
    batch.channel = std::string(*channel);
    batch.epoch = std::string(*epoch);
    batch.messages.reserve(std::min<std::size_t>(*count, 4096));
    for (std::size_t i = 0; i < *count; ++i) {
        const auto seq = fields.next_number<Seq>();
        if (!seq) return std::nullopt;
        if (!batch.messages.empty() && *seq <= batch.messages.back().seq) return std::nullopt;
        StoredMessage message{batch.channel, *seq, {}, {}, {}, 0};
        if (!read_message_fields(fields, message)) return std::nullopt;
        batch.messages.push_back(std::move(message));
    }
    if (!fields.done()) return std::nullopt;
    return batch;
}

std::optional<std::vector<StoredMessage>> parse_entries(const std::string& channel,
                                                        RedisReply& reply) {
    if (!reply.is_array()) return std::nullopt;
    std::vector<StoredMessage> messages;
    messages.reserve(reply.elements().size());
    for (RedisReply& entry : reply.elements()) {
        auto& parts = entry.elements();
        if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_array()) {
            return std::nullopt;
        }
        const auto seq = seq_of_entry(parts[0].text());
        if (!seq) return std::nullopt;
        StoredMessage message{channel, *seq, {}, {}, {}, 0};
        auto& fields = parts[1].elements();
        bool read = false;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].text() != "m") continue;
            Netstrings packed(fields[i + 1].text());
            read = read_message_fields(packed, message) && packed.done();
        }
        if (!read) return std::nullopt;
        messages.push_back(std::move(message));
    }
    return messages;
}

}  // namespace herald::storage::redis
