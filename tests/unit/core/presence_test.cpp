#include "core/presence.hpp"

#include <future>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::core {
namespace {

constexpr runtime::ShardId kShard0{0};
constexpr runtime::ShardId kShard1{1};

class RecordingWatcher : public PresenceWatcher {
public:
    void on_presence(const PresenceChangePtr& change) override {
        std::string event = change->kind == PresenceChange::Kind::join ? "join " : "leave ";
        event += change->client;
        events.push_back(event);
        if (on_event) on_event();
    }

    std::vector<std::string> events;
    std::function<void()> on_event;
};

/// Two real shards; each step runs on the shard it names, as connections would.
class PresenceTest : public ::testing::Test {
protected:
    PresenceTest() { shards_.start(); }
    ~PresenceTest() override {
        shards_.stop();
        shards_.join();
    }

    template <class Step>
    void on_shard(runtime::ShardId shard, Step step) {
        std::promise<void> done;
        shards_[shard].post([&] {
            step();
            done.set_value();
        });
        done.get_future().wait();
    }

    /// Runs an empty step on every shard: announcements posted before it have been heard.
    void settle() {
        for (int round = 0; round < 2; ++round) {
            for (runtime::ShardId shard : shards_.ids())
                on_shard(shard, [] {});
        }
    }

    std::vector<PresenceEntry> members(const std::string& channel) {
        std::promise<std::vector<PresenceEntry>> result;
        presence_.members(channel, kShard0, [&](std::optional<std::vector<PresenceEntry>> entries) {
            EXPECT_TRUE(entries) << "one node's presence always answers";
            result.set_value(std::move(entries).value_or(std::vector<PresenceEntry>{}));
        });
        return result.get_future().get();
    }

    runtime::ShardGroup shards_{2};
    Presence presence_{shards_};
};

TEST_F(PresenceTest, IdentitiesAreUniqueAcrossShards) {
    std::set<std::string> ids;
    for (runtime::ShardId shard : shards_.ids()) {
        on_shard(shard, [&] {
            for (int i = 0; i < 100; ++i)
                ids.insert(presence_.make_identity(shard, "sse").id);
        });
    }
    EXPECT_EQ(ids.size(), 200u);
    EXPECT_TRUE(ids.begin()->starts_with("c_"));
}

TEST_F(PresenceTest, MembersOfEveryShardAreListedUntilTheyLeave) {
    std::optional<ClientIdentity> alice, bob;
    PresenceMembership alice_in, bob_in, bob_elsewhere;
    on_shard(kShard0, [&] {
        alice = presence_.make_identity(kShard0, "websocket", "alice");
        alice_in = presence_.join(kShard0, "room", *alice);
    });
    on_shard(kShard1, [&] {
        bob = presence_.make_identity(kShard1, "sse");
        bob_in = presence_.join(kShard1, "room", *bob);
        bob_elsewhere = presence_.join(kShard1, "hall", *bob);
    });
    auto room = members("room");
    ASSERT_EQ(room.size(), 2u);
    EXPECT_EQ(room[0].client, alice->id);  // by join time
    EXPECT_EQ(room[0].user, "alice");
    EXPECT_EQ(room[0].transport, "websocket");
    EXPECT_EQ(room[1].client, bob->id);
    EXPECT_EQ(room[1].user, std::nullopt);
    EXPECT_EQ(room[1].transport, "sse");
    EXPECT_LE(room[0].since, room[1].since);
    EXPECT_EQ(members("hall").size(), 1u);
    EXPECT_TRUE(members("nobody").empty());

    on_shard(kShard1, [&] { bob_in.reset(); });
    room = members("room");
    ASSERT_EQ(room.size(), 1u);
    EXPECT_EQ(room[0].client, alice->id);
    EXPECT_EQ(members("hall").size(), 1u);  // bob is still in the other channel
    on_shard(kShard0, [&] { alice_in.reset(); });
    on_shard(kShard1, [&] { bob_elsewhere.reset(); });
    EXPECT_TRUE(members("room").empty());
}

TEST_F(PresenceTest, WatchersOnEveryShardHearJoinsAndLeavesInOrder) {
    RecordingWatcher near, far;
    PresenceWatch near_watch, far_watch;
    std::optional<ClientIdentity> carol;
    PresenceMembership carol_in;
    on_shard(kShard0, [&] { near_watch = presence_.watch(kShard0, "room", &near); });
    on_shard(kShard1, [&] { far_watch = presence_.watch(kShard1, "room", &far); });
    on_shard(kShard0, [&] {
        carol = presence_.make_identity(kShard0, "stream");
        carol_in = presence_.join(kShard0, "room", *carol);
        EXPECT_TRUE(near.events.empty());  // announced after the call, never inside it
        carol_in.reset();
    });
    settle();
    const std::vector<std::string> expected{"join " + carol->id, "leave " + carol->id};
    EXPECT_EQ(near.events, expected);
    EXPECT_EQ(far.events, expected);
    on_shard(kShard0, [&] { near_watch.reset(); });
    on_shard(kShard1, [&] { far_watch.reset(); });
}

TEST_F(PresenceTest, AWatcherMayStopWatchingWhileBeingTold) {
    RecordingWatcher first, second;
    PresenceWatch first_watch, second_watch;
    std::optional<ClientIdentity> dave;
    PresenceMembership dave_in;
    first.on_event = [&] { second_watch.reset(); };  // e.g. its connection closes
    on_shard(kShard0, [&] {
        first_watch = presence_.watch(kShard0, "room", &first);
        second_watch = presence_.watch(kShard0, "room", &second);
        dave = presence_.make_identity(kShard0, "longpoll");
        dave_in = presence_.join(kShard0, "room", *dave);
    });
    settle();
    EXPECT_EQ(first.events.size(), 1u);
    EXPECT_TRUE(second.events.empty());
    on_shard(kShard0, [&] {
        dave_in.reset();
        first_watch.reset();
    });
    settle();
    EXPECT_TRUE(members("room").empty());
}

TEST_F(PresenceTest, AfterStopLeavingAnnouncesNothing) {
    RecordingWatcher watcher;
    PresenceWatch watch;
    std::optional<ClientIdentity> erin;
    PresenceMembership erin_in;
    on_shard(kShard0, [&] {
        watch = presence_.watch(kShard0, "room", &watcher);
        erin = presence_.make_identity(kShard0, "sse");
        erin_in = presence_.join(kShard0, "room", *erin);
    });
    settle();
    shards_.stop();
    shards_.join();
    presence_.stop();
    erin_in.reset();  // the teardown of a connection after the shards ended
    watch.reset();
    EXPECT_EQ(watcher.events.size(), 1u);
}

}  // namespace
}  // namespace herald::core
