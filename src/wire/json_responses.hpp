#pragma once

#include <string>
#include <vector>

#include "core/channel_service.hpp"
#include "core/cluster_directory.hpp"

namespace herald::wire {

/// {"channel","seq","id","time"}: the answer to a publish.
std::string publish_reply(const core::PublishResult& result);

/// {"channel":C,"messages":[...],"last_seq":M[,"gap":{...}]}: the answer to a read.
/// Each message is its encoded-once JSON, copied into the body, never re-encoded.
std::string read_reply(const std::string& channel, const std::vector<core::MessagePtr>& messages,
                       core::Seq last_seq, const std::optional<core::Gap>& gap);

/// {"type":"gap","channel":C,"after":N,"first_seq":F[,"reset":true]}
std::string gap_object(const std::string& channel, const core::Gap& gap);

/// {"channel","first_seq","last_seq","subscribers"}
std::string channel_info_reply(const core::ChannelInfo& info);

/// {"channels":[{"channel","last_seq","subscribers"},...]}
std::string channel_list_reply(const std::vector<core::ChannelInfo>& channels);

/// GET /v1/cluster: {"nodes":[{"node","address","connections","heartbeat"}]}.
std::string cluster_reply(const std::vector<core::NodeInfo>& nodes);

}  // namespace herald::wire
