#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/shard_group.hpp"

namespace herald::core {

/// Who a connection is, as presence reports it. Made once per connection, which owns it and
/// outlives its memberships.
struct ClientIdentity {
    std::string id;                   // unique on this server: "c_" + process tag + shard + count
    std::optional<std::string> user;  // the token's sub; none in open mode
    std::string_view transport;  // "websocket" | "sse" | "stream" | "longpoll" | "poll"; static
};

/// One client present in a channel, as `GET /v1/channels/{c}/presence` lists it.
struct PresenceEntry {
    std::string client;
    std::optional<std::string> user;
    std::string transport;
    std::int64_t since = 0;  // ms since the Unix epoch
};

/// A client joined or left a channel: one object shared by every watcher of the channel.
struct PresenceChange {
    enum class Kind { join, leave };
    Kind kind = Kind::join;
    std::string channel;
    std::string client;
    std::optional<std::string> user;
};
using PresenceChangePtr = std::shared_ptr<const PresenceChange>;

/// Anything told of joins and leaves: a WebSocket subscription that asked for presence.
/// Thread: called only on the shard that registered it.
class PresenceWatcher {
public:
    virtual ~PresenceWatcher() = default;
    /// Must not block. Also called for the watcher's own client: it filters itself out.
    virtual void on_presence(const PresenceChangePtr& change) = 0;
};

class Presence;
class SharedPresence;

/// A client's presence in one channel, from construction to destruction (RAII, like
/// Subscription): a closed connection cannot stay listed.
class PresenceMembership {
public:
    PresenceMembership() = default;
    PresenceMembership(PresenceMembership&& other) noexcept;
    PresenceMembership& operator=(PresenceMembership&& other) noexcept;
    ~PresenceMembership() { reset(); }

    void reset();
    const std::string& channel() const { return channel_; }

private:
    friend class Presence;
    PresenceMembership(Presence& presence, runtime::ShardId shard, std::string channel,
                       const ClientIdentity& client)
        : presence_(&presence), shard_(shard), channel_(std::move(channel)), client_(&client) {}

    Presence* presence_ = nullptr;
    runtime::ShardId shard_;
    std::string channel_;
    const ClientIdentity* client_ = nullptr;
};

/// A watcher's registration for one channel's joins and leaves (RAII).
class PresenceWatch {
public:
    PresenceWatch() = default;
    PresenceWatch(PresenceWatch&& other) noexcept;
    PresenceWatch& operator=(PresenceWatch&& other) noexcept;
    ~PresenceWatch() { reset(); }

    void reset();

private:
    friend class Presence;
    PresenceWatch(Presence& presence, runtime::ShardId shard, std::string channel,
                  PresenceWatcher* watcher)
        : presence_(&presence), shard_(shard), channel_(std::move(channel)), watcher_(watcher) {}

    Presence* presence_ = nullptr;
    runtime::ShardId shard_;
    std::string channel_;
    PresenceWatcher* watcher_ = nullptr;
};

/// Who is connected to each channel (API.md Presence). Each shard keeps the members and
/// watchers of its own connections, touched by its thread only; a join or leave is posted to
/// every shard, where that shard's watchers of the channel hear it; a query visits the shards
/// in turn, as subscriber counts do. No lock anywhere. In cluster mode (`set_shared`) joins and
/// leaves also go to the shared presence, which answers queries for every node, and the other
/// nodes' joins and leaves come in through `on_remote`.
/// Thread: `join`, `watch`, `make_identity` on shard `shard` only; `members` from any shard;
/// `stop` on the main thread once the shards' threads are joined.
class Presence {
public:
    explicit Presence(runtime::ShardGroup& shards);

    /// A new connection's identity.
    ClientIdentity make_identity(runtime::ShardId shard, std::string_view transport,
                                 std::optional<std::string> user = std::nullopt);
    /// `client` is present in `channel` until the membership ends; watchers hear a join.
    [[nodiscard]] PresenceMembership join(runtime::ShardId shard, std::string channel,
                                          const ClientIdentity& client);
    [[nodiscard]] PresenceWatch watch(runtime::ShardId shard, std::string channel,
                                      PresenceWatcher* watcher);
    /// Everyone present in `channel`, by join time then client; none when the shared presence
    /// could not tell. `done` runs on shard `from`.
    void members(std::string channel, runtime::ShardId from,
                 std::function<void(std::optional<std::vector<PresenceEntry>>)> done);
    /// Every member of this node's connections, in every channel, as (channel, entry); `done`
    /// runs on shard `from`. What the shared presence writes again after losing Redis.
    using LocalMembers = std::vector<std::pair<std::string, PresenceEntry>>;
    void local_members(runtime::ShardId from, std::function<void(LocalMembers)> done);
    /// Cluster mode: where this node's joins and leaves are shared and queries answered. Set
    /// before the shards start; it outlives them.
    void set_shared(SharedPresence* shared) { shared_ = shared; }
    /// Another node's client joined or left: this node's watchers of the channel hear it. Any
    /// thread.
    void on_remote(PresenceChangePtr change);
    /// Told of every join and leave, on the shard where it happened (webhooks). Set before the
    /// shards start.
    void set_change_listener(std::function<void(const PresenceChange&)> listener) {
        change_listener_ = std::move(listener);
    }
    /// After the shards' threads have ended: memberships still torn down announce nothing.
    void stop() { stopped_ = true; }

private:
    friend class PresenceMembership;
    friend class PresenceWatch;

    struct Member {
        const ClientIdentity* client;
        std::int64_t since;
    };
    struct ChannelPresence {
        std::vector<Member> members;
        std::vector<PresenceWatcher*> watchers;  // nullptr: left during a notification
    };
    struct ShardPresence {
        std::unordered_map<std::string, ChannelPresence> channels;
        const ChannelPresence* notifying = nullptr;
        std::uint64_t next_client = 0;
    };

    void leave(runtime::ShardId shard, const std::string& channel, const ClientIdentity* client);
    void unwatch(runtime::ShardId shard, const std::string& channel, PresenceWatcher* watcher);
    void announce(PresenceChange::Kind kind, const std::string& channel,
                  const ClientIdentity& client, std::int64_t since);
    void notify_everywhere(const PresenceChangePtr& change);
    void notify(runtime::ShardId shard, const PresenceChangePtr& change);
    void erase_if_empty(ShardPresence& local, const std::string& channel);
    /// Visits the shards in turn from `shard`, collecting the members of `channel` (of every
    /// channel when none), then runs `done` on shard `from`.
    void collect_on(runtime::ShardId shard, std::optional<std::string> channel,
                    runtime::ShardId from, std::shared_ptr<LocalMembers> found,
                    std::function<void(LocalMembers)> done);

    runtime::ShardGroup& shards_;
    std::vector<std::unique_ptr<ShardPresence>> locals_;
    std::string process_tag_;  // random per process: ids differ across restarts
    std::function<void(const PresenceChange&)> change_listener_;
    SharedPresence* shared_ = nullptr;
    bool stopped_ = false;
};

}  // namespace herald::core
