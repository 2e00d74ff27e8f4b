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
        const auto id = fields.next();
        const auto event = fields.next();
        const auto data = fields.next();
        const auto time = fields.next_number<std::int64_t>();
        if (!seq || !id || !event || !data || !time) return std::nullopt;
        if (!batch.messages.empty() && *seq <= batch.messages.back().seq) return std::nullopt;
        batch.messages.push_back(StoredMessage{batch.channel, *seq, std::string(*id),
                                               std::string(*event), std::string(*data), *time});
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
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            const std::string& name = fields[i].text();
            if (name == "id") {
                message.id = fields[i + 1].take_text();
            } else if (name == "event") {
                message.event = fields[i + 1].take_text();
            } else if (name == "data") {
                message.data = fields[i + 1].take_text();
            } else if (name == "time") {
                message.time = number<std::int64_t>(fields[i + 1].text()).value_or(0);
            }
        }
        messages.push_back(std::move(message));
    }
    return messages;
}

}  // namespace herald::storage::redis
