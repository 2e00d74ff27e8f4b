#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/message_log.hpp"

namespace herald::storage {

/// Volatile log: a bounded deque per channel. For tests and ephemeral deployments.
/// Thread: any; one mutex orders appends, so seq order and commit-listener order agree.
class MemoryLog final : public MessageLog {
public:
    explicit MemoryLog(RetentionPolicy policy);

    void set_commit_listener(CommitListener listener) override;
    void append_batch(std::vector<AppendRequest> requests, BatchCompletion done) override;
    ReadResult read(std::string_view channel, std::optional<Seq> after, std::size_t limit) override;
    ChannelState channel(std::string_view channel) override;
    std::vector<ChannelState> channels(std::string_view prefix) override;
    bool ready() override { return true; }
    void close() override {}

private:
    struct PublishedId {
        Seq seq;
        std::int64_t time;
    };
    struct Channel {
        std::deque<StoredMessage> messages;
        Seq last_seq = 0;
        std::unordered_map<std::string, PublishedId> ids;           // client ids within the window
        std::deque<std::pair<std::int64_t, std::string>> id_order;  // (time, id) oldest first
    };

    /// Stores one message. Caller holds `mutex_`.
    AppendResult store(AppendRequest& request, std::vector<StoredMessage>& committed);
    /// Drops what retention no longer keeps. Caller holds `mutex_`.
    void trim(Channel& channel, std::int64_t now);
    static ChannelState state_of(const std::string& name, const Channel& channel);

    RetentionPolicy policy_;
    CommitListener listener_;
    std::mutex mutex_;
    std::map<std::string, Channel, std::less<>> channels_;
};

}  // namespace herald::storage
