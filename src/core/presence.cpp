#include "core/presence.hpp"

#include <algorithm>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "core/shared_presence.hpp"
#include "util/clock.hpp"

namespace herald::core {

namespace {

void sort_by_join(std::vector<PresenceEntry>& entries) {
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return std::tie(a.since, a.client) < std::tie(b.since, b.client);
    });
}

}  // namespace

PresenceMembership::PresenceMembership(PresenceMembership&& other) noexcept
    : presence_(std::exchange(other.presence_, nullptr)),
      shard_(other.shard_),
      channel_(std::move(other.channel_)),
      client_(other.client_) {}

PresenceMembership& PresenceMembership::operator=(PresenceMembership&& other) noexcept {
    if (this != &other) {
        reset();
        presence_ = std::exchange(other.presence_, nullptr);
        shard_ = other.shard_;
        channel_ = std::move(other.channel_);
        client_ = other.client_;
    }
    return *this;
}

void PresenceMembership::reset() {
    if (presence_ != nullptr) std::exchange(presence_, nullptr)->leave(shard_, channel_, client_);
}

PresenceWatch::PresenceWatch(PresenceWatch&& other) noexcept
    : presence_(std::exchange(other.presence_, nullptr)),
      shard_(other.shard_),
      channel_(std::move(other.channel_)),
      watcher_(other.watcher_) {}

PresenceWatch& PresenceWatch::operator=(PresenceWatch&& other) noexcept {
    if (this != &other) {
        reset();
        presence_ = std::exchange(other.presence_, nullptr);
        shard_ = other.shard_;
        channel_ = std::move(other.channel_);
        watcher_ = other.watcher_;
    }
    return *this;
}

void PresenceWatch::reset() {
    if (presence_ != nullptr)
        std::exchange(presence_, nullptr)->unwatch(shard_, channel_, watcher_);
}

Presence::Presence(runtime::ShardGroup& shards) : shards_(shards) {
    for (std::size_t i = 0; i < shards.size(); ++i)
        locals_.push_back(std::make_unique<ShardPresence>());
    std::random_device random;
    process_tag_ = fmt::format("{:06x}", random() & 0xffffff);
}

ClientIdentity Presence::make_identity(runtime::ShardId shard, std::string_view transport,
                                       std::optional<std::string> user) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    // Interleaved by shard, so no two shards ever make the same number.
    const std::uint64_t number = ++locals_[shard.value]->next_client * shards_.size() + shard.value;
    return ClientIdentity{fmt::format("c_{}{:x}", process_tag_, number), std::move(user),
                          transport};
}

PresenceMembership Presence::join(runtime::ShardId shard, std::string channel,
                                  const ClientIdentity& client) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    ChannelPresence& entry = locals_[shard.value]->channels[channel];
    const std::int64_t since = unix_millis();
    entry.members.push_back(Member{&client, since});
    announce(PresenceChange::Kind::join, channel, client, since);
    return PresenceMembership(*this, shard, std::move(channel), client);
}

void Presence::leave(runtime::ShardId shard, const std::string& channel,
                     const ClientIdentity* client) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    ShardPresence& local = *locals_[shard.value];
    auto it = local.channels.find(channel);
    if (it == local.channels.end()) return;
    auto& members = it->second.members;
    auto found = std::find_if(members.begin(), members.end(),
                              [client](const Member& member) { return member.client == client; });
    if (found == members.end()) return;
    const std::int64_t since = found->since;
    *found = members.back();  // the order of members is their join time, kept in `since`
    members.pop_back();
    announce(PresenceChange::Kind::leave, channel, *client, since);
    erase_if_empty(local, channel);
}

PresenceWatch Presence::watch(runtime::ShardId shard, std::string channel,
                              PresenceWatcher* watcher) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    locals_[shard.value]->channels[channel].watchers.push_back(watcher);
    return PresenceWatch(*this, shard, std::move(channel), watcher);
}

void Presence::unwatch(runtime::ShardId shard, const std::string& channel,
                       PresenceWatcher* watcher) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    ShardPresence& local = *locals_[shard.value];
    auto it = local.channels.find(channel);
    if (it == local.channels.end()) return;
    auto& watchers = it->second.watchers;
    auto found = std::find(watchers.begin(), watchers.end(), watcher);
    if (found == watchers.end()) return;
    if (local.notifying == &it->second) {
        *found = nullptr;  // notify() is walking this list: it compacts when done
        return;
    }
    watchers.erase(found);
    erase_if_empty(local, channel);
}

void Presence::erase_if_empty(ShardPresence& local, const std::string& channel) {
    auto it = local.channels.find(channel);
    if (it == local.channels.end() || local.notifying == &it->second) return;
    if (it->second.members.empty() && it->second.watchers.empty()) local.channels.erase(it);
}

void Presence::announce(PresenceChange::Kind kind, const std::string& channel,
                        const ClientIdentity& client, std::int64_t since) {
    if (stopped_) return;
    auto change = std::make_shared<const PresenceChange>(
            PresenceChange{kind, channel, client.id, client.user});
    if (change_listener_) change_listener_(*change);
    if (shared_ != nullptr) {
        const PresenceEntry entry{client.id, client.user, std::string(client.transport), since};
        if (kind == PresenceChange::Kind::join) {
            shared_->joined(channel, entry);
        } else {
            shared_->left(channel, entry);
        }
    }
    notify_everywhere(change);
}

void Presence::on_remote(PresenceChangePtr change) {
    if (!stopped_) notify_everywhere(change);
}

void Presence::notify_everywhere(const PresenceChangePtr& change) {
    // Posted even to this shard: a watcher hears of a join after the call that made it, never
    // inside it. FIFO posting keeps one client's join before its leave on every shard.
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        const runtime::ShardId shard(i);
        shards_[shard].post([this, shard, change] { notify(shard, change); });
    }
}

void Presence::notify(runtime::ShardId shard, const PresenceChangePtr& change) {
    HERALD_ASSERT_ON_SHARD(shards_, shard);
    ShardPresence& local = *locals_[shard.value];
    auto it = local.channels.find(change->channel);
    if (it == local.channels.end() || it->second.watchers.empty()) return;
    ChannelPresence& entry = it->second;
    local.notifying = &entry;
    // By index: a watcher may add others (the vector may grow) or leave (set to nullptr).
    for (std::size_t i = 0; i < entry.watchers.size(); ++i) {
        if (PresenceWatcher* watcher = entry.watchers[i]) watcher->on_presence(change);
    }
    local.notifying = nullptr;
    std::erase(entry.watchers, nullptr);
    erase_if_empty(local, change->channel);
}

void Presence::members(std::string channel, runtime::ShardId from,
                       std::function<void(std::optional<std::vector<PresenceEntry>>)> done) {
    if (shared_ != nullptr) {
        return shared_->members(
                channel, [this, from, done = std::move(done)](
                                 std::optional<std::vector<PresenceEntry>> entries) mutable {
                    if (entries) sort_by_join(*entries);
                    shards_[from].post(
                            [entries = std::move(entries), done = std::move(done)]() mutable {
                                done(std::move(entries));
                            });
                });
    }
    collect_on(runtime::ShardId(0), std::move(channel), from, std::make_shared<LocalMembers>(),
               [done = std::move(done)](LocalMembers found) {
                   std::vector<PresenceEntry> entries;
                   entries.reserve(found.size());
                   for (auto& [channel, entry] : found) {
                       entries.push_back(std::move(entry));
                   }
                   sort_by_join(entries);
                   done(std::move(entries));
               });
}

void Presence::local_members(runtime::ShardId from, std::function<void(LocalMembers)> done) {
    collect_on(runtime::ShardId(0), std::nullopt, from, std::make_shared<LocalMembers>(),
               std::move(done));
}

void Presence::collect_on(runtime::ShardId shard, std::optional<std::string> channel,
                          runtime::ShardId from, std::shared_ptr<LocalMembers> found,
                          std::function<void(LocalMembers)> done) {
    if (shard.value == shards_.size()) {
        shards_[from].post([found, done = std::move(done)] { done(std::move(*found)); });
        return;
    }
    shards_[shard].post([this, shard, channel = std::move(channel), from, found,
                         done = std::move(done)]() mutable {
        const ShardPresence& local = *locals_[shard.value];
        auto add = [&found](const std::string& name, const ChannelPresence& entry) {
            for (const Member& member : entry.members) {
                found->emplace_back(
                        name, PresenceEntry{member.client->id, member.client->user,
                                            std::string(member.client->transport), member.since});
            }
        };
        if (!channel) {
            for (const auto& [name, entry] : local.channels) {
                add(name, entry);
            }
        } else if (auto it = local.channels.find(*channel); it != local.channels.end()) {
            add(it->first, it->second);
        }
        collect_on(runtime::ShardId(shard.value + 1), std::move(channel), from, std::move(found),
                   std::move(done));
    });
}

}  // namespace herald::core
