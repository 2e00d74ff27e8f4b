#include "wire/json_responses.hpp"

#include "wire/json_text.hpp"

namespace herald::wire {

using core::append_json_string;

std::string publish_reply(const core::PublishResult& result) {
    std::string body = "{\"channel\":";
    append_json_string(body, result.channel);
    body += ",\"seq\":" + std::to_string(result.seq) + ",\"id\":";
    append_json_string(body, result.id);
    body += ",\"time\":" + std::to_string(result.time) + "}";
    return body;
}

std::string gap_object(const std::string& channel, const core::Gap& gap) {
    std::string body = "{\"type\":\"gap\",\"channel\":";
    append_json_string(body, channel);
    body += ",\"after\":" + std::to_string(gap.after) +
            ",\"first_seq\":" + std::to_string(gap.first_seq);
    if (gap.reset) body += ",\"reset\":true";
    body += '}';
    assert_json(body);
    return body;
}

std::string read_reply(const std::string& channel, const std::vector<core::MessagePtr>& messages,
                       core::Seq last_seq, const std::optional<core::Gap>& gap) {
    std::size_t size = 64 + channel.size();
    for (const auto& message : messages)
        size += message->json().size() + 1;
    std::string body;
    body.reserve(size);
    body += "{\"channel\":";
    append_json_string(body, channel);
    body += ",\"messages\":[";
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (i != 0) body += ',';
        body += messages[i]->json();
    }
    body += "],\"last_seq\":" + std::to_string(last_seq);
    if (gap) body += ",\"gap\":" + gap_object(channel, *gap);
    body += '}';
    assert_json(body);
    return body;
}

std::string channel_info_reply(const core::ChannelInfo& info) {
    std::string body = "{\"channel\":";
    append_json_string(body, info.channel);
    body += ",\"first_seq\":" + std::to_string(info.first_seq) +
            ",\"last_seq\":" + std::to_string(info.last_seq) +
            ",\"subscribers\":" + std::to_string(info.subscribers) + "}";
    return body;
}

std::string channel_list_reply(const std::vector<core::ChannelInfo>& channels) {
    std::string body = "{\"channels\":[";
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (i != 0) body += ',';
        body += "{\"channel\":";
        append_json_string(body, channels[i].channel);
        body += ",\"last_seq\":" + std::to_string(channels[i].last_seq) +
                ",\"subscribers\":" + std::to_string(channels[i].subscribers) + "}";
    }
    body += "]}";
    return body;
}

std::string cluster_reply(const std::vector<core::NodeInfo>& nodes) {
    std::string body = "{\"nodes\":[";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (i != 0) body += ',';
        body += "{\"node\":";
        append_json_string(body, nodes[i].node);
        body += ",\"address\":";
        append_json_string(body, nodes[i].address);
        body.append(",\"connections\":").append(std::to_string(nodes[i].connections));
        body.append(",\"heartbeat\":").append(std::to_string(nodes[i].heartbeat)).append("}");
    }
    body += "]}";
    return body;
}

}  // namespace herald::wire
