#include "cluster/redis_presence.hpp"

#include <charconv>
#include <map>
#include <utility>

#include <spdlog/spdlog.h>

#include "cluster/node_sweep.hpp"

namespace herald::cluster {

using storage::redis::append_netstring;
using storage::redis::RedisReply;
using storage::redis::split_netstrings;

namespace {

// Makes node ARGV[1]'s members of one channel (KEYS[1], its presence hash) exactly those
// given as client, entry pairs after it (none: the node has no member left there). Answers
// {removed, added}, each {client, entry, ...}: the leaves and joins the other nodes missed.
// An entry's first netstring is its node.
constexpr const char* kReconcile = R"lua(
local node = ARGV[1]
local keep, added, removed = {}, {}, {}
for i = 2, #ARGV, 2 do
  keep[ARGV[i]] = true
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    added[#added + 1] = ARGV[i]
    added[#added + 1] = ARGV[i + 1]
  end
end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local entry = all[i + 1]
  local colon = string.find(entry, ':', 1, true)
  local length = colon and tonumber(string.sub(entry, 1, colon - 1))
  if not keep[all[i]] and length and string.sub(entry, colon + 1, colon + length) == node then
    redis.call('HDEL', KEYS[1], all[i])
    removed[#removed + 1] = all[i]
    removed[#removed + 1] = entry
  end
end
return {removed, added}
)lua";

constexpr std::string_view kJoin = "join";
constexpr std::string_view kLeave = "leave";

std::string encode_entry(const std::string& node, const core::PresenceEntry& entry) {
    std::string out;
    append_netstring(out, node);
    append_netstring(out, entry.user ? "1" : "0");
    append_netstring(out, entry.user.value_or(""));
    append_netstring(out, entry.transport);
    append_netstring(out, std::to_string(entry.since));
    return out;
}

struct StoredEntry {
    std::string node;
    core::PresenceEntry entry;
};

std::optional<StoredEntry> decode_entry(std::string client, std::string_view text) {
    const auto parts = split_netstrings(text);
    if (!parts || parts->size() != 5) return std::nullopt;
    std::int64_t since = 0;
    const std::string_view since_text = (*parts)[4];
    const auto [end, ec] =
            std::from_chars(since_text.data(), since_text.data() + since_text.size(), since);
    if (ec != std::errc() || end != since_text.data() + since_text.size()) return std::nullopt;
    StoredEntry stored;
    stored.node = std::string((*parts)[0]);
    stored.entry.client = std::move(client);
    if ((*parts)[1] == "1") stored.entry.user = std::string((*parts)[2]);
    stored.entry.transport = std::string((*parts)[3]);
    stored.entry.since = since;
    return stored;
}

}  // namespace

RedisPresence::RedisPresence(runtime::ShardGroup& shards, runtime::ShardId shard,
                             core::Presence& presence, storage::redis::RedisUrl url,
                             storage::redis::RedisClientOptions client,
                             RedisPresenceOptions options)
    : shards_(shards),
      shard_(shard),
      presence_(presence),
      options_(std::move(options)),
      keys_(options_.key_prefix),
      redis_(std::make_shared<storage::redis::RedisClient>(shards[shard].executor(), std::move(url),
                                                           client)),
      sweeper_(shards, shard, *redis_,
               options_.key_prefix + ":{cluster}:presence:", options_.node_id,
               [this](const std::string& node, const std::string& channel,
                      std::function<void()> next) {
                   reconcile(node, channel, {}, true,
                             std::make_shared<std::function<void()>>(std::move(next)));
               }) {
    redis_->on_state([this](bool up) {
        if (!up) return;
        sweeper_.renote();
        // At the first connection, what an earlier process with this node id left behind goes
        // first (it died, or restarted within 3 heartbeats, so no one swept it). Then, after
        // every connection, this node's members are written again: joins and leaves made
        // while Redis was away were not.
        if (std::exchange(connected_once_, true)) return rewrite_members();
        sweeper_.sweep_node(options_.node_id, [this] { rewrite_members(); });
    });
}

void RedisPresence::rewrite_members() {
    presence_.local_members(shard_, [this](core::Presence::LocalMembers members) {
        if (!redis_->up()) return;  // again at the next connection
        auto by_channel =
                std::make_shared<std::map<std::string, std::vector<core::PresenceEntry>>>();
        for (auto& [channel, entry] : members) {
            (*by_channel)[channel].push_back(std::move(entry));
        }
        // The channels where Redis may hold this node's members, and those where it has some.
        redis_->command({"SMEMBERS", sweeper_.set_key(options_.node_id)},
                        [this, by_channel](boost::system::error_code ec, const RedisReply& reply) {
                            if (ec || !reply.is_array()) return;
                            for (const RedisReply& channel : reply.elements()) {
                                by_channel->try_emplace(channel.text());
                            }
                            for (const auto& [channel, entries] : *by_channel) {
                                // Their leaves were announced here when they happened.
                                reconcile(options_.node_id, channel, entries, false, nullptr);
                            }
                        });
    });
}

RedisPresence::~RedisPresence() = default;

void RedisPresence::start() {
    redis_->start();
}

void RedisPresence::joined(const std::string& channel, const core::PresenceEntry& entry) {
    shards_[shard_].post([this, channel, entry] {
        // Failures are logged, not retried: the client's own node still lists it and tells its
        // watchers; the other nodes miss it until it joins again (docs/CLUSTER.md).
        auto logged = [channel](boost::system::error_code ec, const RedisReply& reply) {
            if (ec || reply.is_error()) {
                spdlog::warn("presence: a join in {} not shared: {}", channel,
                             ec ? ec.message() : reply.text());
            }
        };
        redis_->command({"HSET", keys_.channel_key(channel, "presence"), entry.client,
                         encode_entry(options_.node_id, entry)},
                        logged);
        sweeper_.note(channel);
        publish(core::PresenceChange::Kind::join, options_.node_id, channel, entry.client,
                entry.user);
    });
}

void RedisPresence::left(const std::string& channel, const core::PresenceEntry& entry) {
    shards_[shard_].post([this, channel, entry] {
        redis_->command({"HDEL", keys_.channel_key(channel, "presence"), entry.client},
                        [channel](boost::system::error_code ec, const RedisReply& reply) {
                            if (ec || reply.is_error()) {
                                spdlog::warn(
                                        "presence: a leave in {} not shared: {}; swept when "
                                        "this node stops",
                                        channel, ec ? ec.message() : reply.text());
                            }
                        });
        publish(core::PresenceChange::Kind::leave, options_.node_id, channel, entry.client,
                entry.user);
    });
}

void RedisPresence::publish(core::PresenceChange::Kind kind, const std::string& node,
                            const std::string& channel, const std::string& client,
                            const std::optional<std::string>& user) {
    std::string notice = "p";
    append_netstring(notice, kind == core::PresenceChange::Kind::join ? kJoin : kLeave);
    append_netstring(notice, node);
    append_netstring(notice, channel);
    append_netstring(notice, client);
    append_netstring(notice, user ? "1" : "0");
    append_netstring(notice, user.value_or(""));
    redis_->command(
            {"SPUBLISH", keys_.fanout(storage::redis::partition_of(channel)), std::move(notice)},
            [](boost::system::error_code, const RedisReply&) {});
}

void RedisPresence::on_notice(std::string_view payload) {
    if (payload.empty() || payload.front() != 'p') return;
    const auto parts = split_netstrings(payload.substr(1));
    if (!parts || parts->size() != 6) {
        spdlog::warn("presence: an unreadable notice ({} bytes); ignored", payload.size());
        return;
    }
    const auto& p = *parts;
    if (p[1] == options_.node_id) return;  // this node's watchers heard it from this node
    const auto kind =
            p[0] == kJoin ? core::PresenceChange::Kind::join : core::PresenceChange::Kind::leave;
    std::optional<std::string> user;
    if (p[4] == "1") user = std::string(p[5]);
    presence_.on_remote(std::make_shared<const core::PresenceChange>(
            core::PresenceChange{kind, std::string(p[2]), std::string(p[3]), std::move(user)}));
}

void RedisPresence::members(
        const std::string& channel,
        std::function<void(std::optional<std::vector<core::PresenceEntry>>)> done) {
    shards_[shard_].post([this, channel, done = std::move(done)]() mutable {
        redis_->command(
                {"HGETALL", keys_.channel_key(channel, "presence")},
                [done = std::move(done)](boost::system::error_code ec, const RedisReply& reply) {
                    if (ec || !reply.is_array()) return done(std::nullopt);
                    std::vector<core::PresenceEntry> entries;
                    const auto& parts = reply.elements();
                    for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
                        auto stored = decode_entry(parts[i].text(), parts[i + 1].text());
                        if (stored) entries.push_back(std::move(stored->entry));
                    }
                    done(std::move(entries));
                });
    });
}

void RedisPresence::reconcile(const std::string& node, const std::string& channel,
                              const std::vector<core::PresenceEntry>& entries, bool announce_leaves,
                              std::shared_ptr<std::function<void()>> done) {
    std::vector<std::string> command{"EVAL", kReconcile, "1",
                                     keys_.channel_key(channel, "presence"), node};
    for (const core::PresenceEntry& entry : entries) {
        command.push_back(entry.client);
        command.push_back(encode_entry(node, entry));
    }
    if (!entries.empty()) sweeper_.note(channel);  // only this node writes its own entries
    redis_->command(
            std::move(command), [this, node, channel, done, announce_leaves](
                                        boost::system::error_code ec, const RedisReply& reply) {
                if (!ec && reply.is_array() && reply.elements().size() == 2) {
                    auto tell = [&](const RedisReply& list, core::PresenceChange::Kind kind) {
                        const auto& parts = list.elements();
                        for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
                            auto stored = decode_entry(parts[i].text(), parts[i + 1].text());
                            if (!stored) continue;
                            publish(kind, node, channel, stored->entry.client, stored->entry.user);
                            if (announce_leaves && kind == core::PresenceChange::Kind::leave &&
                                swept_listener_) {
                                swept_listener_(core::PresenceChange{
                                        kind, channel, stored->entry.client, stored->entry.user});
                            }
                        }
                    };
                    tell(reply.elements()[0], core::PresenceChange::Kind::leave);
                    tell(reply.elements()[1], core::PresenceChange::Kind::join);
                }
                if (done) (*done)();
            });
}

}  // namespace herald::cluster
