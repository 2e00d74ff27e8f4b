#include "storage/redis/redis_log.hpp"  // first: proves the header is self-contained

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "../support/redis_fixture.hpp"
#include "util/clock.hpp"

// Several Herald nodes on one Redis: each node is a RedisLog of its own (own thread, own
// connections), as in a cluster. The cases the MessageLog suite covers for every backend
// (message_log_test.cpp) are not repeated here.

namespace herald::storage::redis {
namespace {

// Every wait's bound: far above what any step takes, so only a broken log reaches it.
constexpr auto kLimit = 10s;

/// Waits until `done` holds, checking every few ms; false at kLimit. For states with no event
/// to wait on (a node's counters, readiness).
bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kLimit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

/// Calls `start(done)` and waits for `done`'s value (the promise outlives a late answer).
template <class T, class Start>
T wait_for(Start start, T otherwise) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    start([promise](T value) { promise->set_value(std::move(value)); });
    if (future.wait_for(kLimit) != std::future_status::ready) {
        ADD_FAILURE() << "no answer within " << kLimit.count() << " s";
        return otherwise;
    }
    return future.get();
}

std::vector<AppendResult> append(MessageLog& log, std::vector<AppendRequest> requests) {
    return wait_for<std::vector<AppendResult>>(
            [&](auto done) {
                log.append_batch(std::move(requests),
                                 [done](std::vector<AppendResult>&& results) { done(results); });
            },
            {});
}

AppendResult append_one(MessageLog& log, AppendRequest request) {
    std::vector<AppendRequest> batch;
    batch.push_back(std::move(request));
    auto results = append(log, std::move(batch));
    return results.empty() ? AppendResult{} : results.front();
}

ReadResult read(MessageLog& log, const std::string& channel, std::optional<Seq> after) {
    ReadResult timed_out;
    timed_out.failed = true;
    return wait_for<ReadResult>(
            [&](auto done) {
                log.read(channel, after, 1000, [done](ReadResult&& result) { done(result); });
            },
            timed_out);
}

bool ready(MessageLog& log) {
    return wait_for<bool>([&](auto done) { log.check_ready(done); }, false);
}

AppendRequest request(std::string channel, std::string data, std::string client_id = "") {
    static std::atomic<int> counter{0};
    AppendRequest r;
    r.channel = std::move(channel);
    r.data = std::move(data);
    r.event = "message";
    r.client_id = !client_id.empty();
    r.id = r.client_id ? std::move(client_id) : std::string("m").append(std::to_string(counter++));
    r.time = unix_millis();
    return r;
}

std::vector<Seq> seqs_of(const std::vector<StoredMessage>& messages) {
    std::vector<Seq> seqs;
    seqs.reserve(messages.size());
    for (const auto& message : messages) {
        seqs.push_back(message.seq);
    }
    return seqs;
}

std::vector<Seq> range(Seq from, Seq to) {
    std::vector<Seq> seqs;
    for (Seq s = from; s <= to; ++s) {
        seqs.push_back(s);
    }
    return seqs;
}

/// One Herald node: a RedisLog, and what its commit listener heard, per channel.
class Node {
public:
    explicit Node(std::uint16_t port, std::chrono::milliseconds timeout = 2000ms,
                  std::chrono::milliseconds linger = 30s) {
        RedisLogOptions options;
        options.url =
                parse_redis_url(std::string("redis://127.0.0.1:").append(std::to_string(port)));
        options.timeout = timeout;
        options.follow_linger = linger;
        log_ = std::make_unique<RedisLog>(options);
        log_->set_commit_listener([this](std::vector<StoredMessage>&& batch) {
            std::lock_guard lock(mutex_);
            for (auto& message : batch) {
                heard_[message.channel].push_back(std::move(message));
            }
            changed_.notify_all();
        });
        log_->set_forget_listener([this](std::vector<std::string>&& channels) {
            std::lock_guard lock(mutex_);
            for (auto& channel : channels) {
                forgotten_.insert(std::move(channel));
            }
        });
    }

    RedisLog& log() { return *log_; }
    RedisLogStats stats() const { return log_->stats(); }
    /// A local subscriber to each channel, as a hub would say: the listener hears them.
    void follow(const std::vector<std::string>& channels, bool following = true) {
        for (const auto& channel : channels) {
            log_->follow(channel, following);
        }
    }
    bool forgot(const std::string& channel) {
        std::lock_guard lock(mutex_);
        return forgotten_.contains(channel);
    }

    /// What the listener heard of `channel` once it heard `count` messages of it (or kLimit
    /// passed: the caller's assertions then say what is missing).
    std::vector<StoredMessage> heard(const std::string& channel, std::size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, kLimit, [&] { return heard_[channel].size() >= count; });
        return heard_[channel];
    }
    std::size_t heard_count(const std::string& channel) {
        std::lock_guard lock(mutex_);
        return heard_[channel].size();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::vector<StoredMessage>> heard_;
    std::set<std::string> forgotten_;
    std::unique_ptr<RedisLog> log_;  // last: closed before what its listener fills
};

/// Publishes batches on `node`, one after the other, on a thread of its own until destroyed.
class Burst {
public:
    Burst(Node& node, std::vector<std::string> channels)
        : thread_([this, &node, channels = std::move(channels)] {
              int i = 0;
              while (!stop_) {
                  std::vector<AppendRequest> batch;
                  for (const auto& channel : channels) {
                      batch.push_back(request(
                              channel,
                              std::string("{\"i\":").append(std::to_string(i++)).append("}")));
                  }
                  const auto sent = batch;
                  const auto results = append(node.log(), std::move(batch));
                  std::lock_guard lock(mutex_);
                  for (std::size_t k = 0; k < results.size(); ++k) {
                      if (results[k].status != AppendStatus::stored) continue;
                      stored_[{sent[k].channel, results[k].seq}] = sent[k].data;
                      newest_[sent[k].channel] = std::max(newest_[sent[k].channel], results[k].seq);
                  }
              }
          }) {}
    ~Burst() { end(); }

    void end() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    /// After `end`: channel -> newest seq stored, and the data of each (channel, seq).
    const std::map<std::string, Seq>& newest() const { return newest_; }
    const std::map<std::pair<std::string, Seq>, std::string>& stored() const { return stored_; }

private:
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::map<std::string, Seq> newest_;
    std::map<std::pair<std::string, Seq>, std::string> stored_;
    std::thread thread_;
};

class RedisLogTest : public RedisTest {
protected:
    std::uint16_t port() const { return server_.port(); }
    /// The nodes subscribed to a partition's fan-out.
    std::int64_t shard_subscribers(RedisConnection& admin, const std::string& fanout) {
        const RedisReply reply = call(admin, {"PUBSUB", "SHARDNUMSUB", fanout});
        return reply.elements().size() == 2 ? reply.elements()[1].integer() : -1;
    }

    test::RedisServer server_;
};

TEST_F(RedisLogTest, TwoNodesShareEachChannelsOrderAndBothHearEverything) {
    const std::vector<std::string> channels = {"room:1", "room:2", "room:3"};
    Node a(port());
    Node b(port());
    a.follow(channels);
    b.follow(channels);
    ASSERT_TRUE(eventually([&] { return ready(a.log()) && ready(b.log()); }));
    // Both nodes publish at once, several batches in flight each, on the same channels.
    std::map<std::pair<std::string, Seq>, std::string> stored;
    std::mutex mutex;
    auto publish = [&](Node& node, const std::string& name) {
        std::vector<std::future<void>> pending;
        for (int i = 0; i < 100; ++i) {
            auto done = std::make_shared<std::promise<void>>();
            pending.push_back(done->get_future());
            std::vector<AppendRequest> batch;
            for (int k = 0; k < 4; ++k) {
                // Odd spacing and escapes: data must come back byte for byte.
                std::string data = std::string("{ \"node\" : \"").append(name);
                data.append("\",\t\"i\": ").append(std::to_string(i * 4 + k));
                data.append(", \"s\":\"\\u00e9\" }");
                batch.push_back(request(channels[(i + k) % channels.size()], std::move(data)));
            }
            node.log().append_batch(batch, [&, batch, done](std::vector<AppendResult>&& results) {
                std::lock_guard lock(mutex);
                for (std::size_t k = 0; k < results.size(); ++k) {
                    EXPECT_EQ(results[k].status, AppendStatus::stored);
                    EXPECT_TRUE(stored.emplace(std::pair(batch[k].channel, results[k].seq),
                                               batch[k].data)
                                        .second)
                            << "seq given twice: " << batch[k].channel << " " << results[k].seq;
                }
                done->set_value();
            });
        }
        for (auto& future : pending) {
            ASSERT_EQ(future.wait_for(kLimit), std::future_status::ready);
        }
    };
    std::thread on_b([&] { publish(b, "b"); });
    publish(a, "a");
    on_b.join();

    ASSERT_EQ(stored.size(), 800u);
    std::map<std::string, Seq> count;
    for (const auto& [key, data] : stored) {
        ++count[key.first];
    }
    for (const auto& channel : channels) {
        // Contiguous: every seq 1..count was given, once (the map has no duplicates).
        EXPECT_TRUE(stored.contains(std::pair(channel, count[channel])));
        EXPECT_FALSE(stored.contains(std::pair(channel, count[channel] + 1)));
        for (Node* node : {&a, &b}) {
            const auto heard = node->heard(channel, count[channel]);
            EXPECT_EQ(seqs_of(heard), range(1, count[channel])) << channel;
            for (const auto& message : heard) {
                EXPECT_EQ(message.data, stored[std::pair(channel, message.seq)]) << message.seq;
            }
        }
    }
    // Nothing more comes later: a last message on each channel is the next one heard.
    for (const auto& channel : channels) {
        EXPECT_EQ(append_one(b.log(), request(channel, "0")).seq, count[channel] + 1);
        for (Node* node : {&a, &b}) {
            EXPECT_EQ(seqs_of(node->heard(channel, count[channel] + 1)),
                      range(1, count[channel] + 1));
        }
    }
}

TEST_F(RedisLogTest, APublishIdIsRecognisedOnEveryNode) {
    Node a(port());
    Node b(port());
    a.follow({"orders"});
    b.follow({"orders"});
    ASSERT_TRUE(eventually([&] { return ready(a.log()) && ready(b.log()); }));
    const AppendResult first = append_one(a.log(), request("orders", "1", "order-17"));
    ASSERT_EQ(first.status, AppendStatus::stored);
    AppendRequest retry = request("orders", "\"other\"", "order-17");
    retry.time = first.time + 5;
    const AppendResult again = append_one(b.log(), retry);
    EXPECT_EQ(again.status, AppendStatus::duplicate);
    EXPECT_EQ(again.seq, first.seq);
    EXPECT_EQ(again.time, first.time);
    EXPECT_EQ(again.id, "order-17");
    EXPECT_EQ(append_one(b.log(), request("orders", "2")).seq, 2u);
    EXPECT_EQ(seqs_of(read(a.log(), "orders", 0).messages), range(1, 2));
    for (Node* node : {&a, &b}) {
        const auto heard = node->heard("orders", 2);
        EXPECT_EQ(seqs_of(heard), range(1, 2)) << "the duplicate is not committed again";
        ASSERT_EQ(heard.size(), 2u);
        EXPECT_EQ(heard[0].data, "1");
    }
}

// Two channel names whose partitions differ.
std::pair<std::string, std::string> apart(const std::string& stem) {
    const std::string first = stem + ":0";
    for (int i = 1;; ++i) {
        std::string other = stem + ":" + std::to_string(i);
        if (partition_of(other) != partition_of(first)) return {first, other};
    }
}

TEST_F(RedisLogTest, ANodeSubscribesOnlyToThePartitionsItFollows) {
    const auto [mine, other] = apart("follow");
    const LogKeys keys("herald");
    Node a(port());
    Node b(port());
    a.follow({mine});
    ASSERT_TRUE(eventually([&] { return ready(a.log()) && ready(b.log()); }));
    auto admin = open(server_);
    EXPECT_EQ(shard_subscribers(*admin, keys.fanout(partition_of(mine))), 1) << "a, not b";
    EXPECT_EQ(shard_subscribers(*admin, keys.fanout(partition_of(other))), 0);
    EXPECT_EQ(a.stats().partitions_subscribed, 1u);
    EXPECT_EQ(b.stats().partitions_subscribed, 0u);

    // b publishes to both; the one a follows comes last, as the marker that the other passed.
    ASSERT_EQ(append_one(b.log(), request(other, "1")).status, AppendStatus::stored);
    ASSERT_EQ(append_one(b.log(), request(mine, "1")).status, AppendStatus::stored);
    EXPECT_EQ(seqs_of(a.heard(mine, 1)), range(1, 1));
    EXPECT_EQ(a.heard_count(other), 0u);
    EXPECT_EQ(b.heard_count(mine), 0u) << "b follows nothing";
}

// The partition stays subscribed for the linger after its last follower left, then goes, and
// what the node kept of its channels is forgotten: it no longer hears them.
TEST_F(RedisLogTest, AFollowedPartitionIsLeftAfterItsLastFollower) {
    const LogKeys keys("herald");
    Node a(port(), 400ms, 0ms);
    a.follow({"leave", "leave"});  // two subscribers
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    ASSERT_EQ(append_one(a.log(), request("leave", "1")).seq, 1u);
    ASSERT_EQ(a.heard("leave", 1).size(), 1u);
    auto admin = open(server_);
    const std::string fanout = keys.fanout(partition_of("leave"));
    a.follow({"leave"}, false);
    // One follower is left: a marker published now is still heard.
    ASSERT_EQ(append_one(a.log(), request("leave", "2")).seq, 2u);
    ASSERT_EQ(a.heard("leave", 2).size(), 2u);
    EXPECT_EQ(shard_subscribers(*admin, fanout), 1);
    EXPECT_FALSE(a.forgot("leave"));

    a.follow({"leave"}, false);
    ASSERT_TRUE(eventually([&] { return shard_subscribers(*admin, fanout) == 0; }));
    EXPECT_EQ(a.stats().partitions_subscribed, 0u);
    EXPECT_TRUE(a.forgot("leave"));
}

// Redis refuses the subscription (here by ACL): a read of the followed channel cannot know that
// nothing is missed after it, and fails within the timeout rather than answer.
TEST_F(RedisLogTest, AReadWaitsForItsPartitionsSubscriptionAndFailsWithoutIt) {
    Node a(port(), 300ms);
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    ASSERT_EQ(append_one(a.log(), request("acl", "1")).seq, 1u);
    EXPECT_EQ(seqs_of(read(a.log(), "acl", 0).messages), range(1, 1)) << "not followed: at once";
    auto admin = open(server_);
    ASSERT_EQ(call(*admin, {"ACL", "SETUSER", "default", "resetchannels"}),
              RedisReply::make_status("OK"));
    a.follow({"acl"});
    const ReadResult refused = read(a.log(), "acl", 0);
    EXPECT_TRUE(refused.failed);
    EXPECT_FALSE(refused.gap);
    EXPECT_FALSE(wait_for<std::optional<ChannelState>>(
            [&](auto done) { a.log().channel("acl", done); }, ChannelState{}));
    EXPECT_FALSE(ready(a.log()));
}

// A commit whose SPUBLISH never reached this node (written here straight into Redis, as a node
// whose publish was lost would leave it): the next push shows the hole, which is read back.
TEST_F(RedisLogTest, AHoleInPubSubIsReadFromTheStream) {
    Node a(port());
    a.follow({"hole"});
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    ASSERT_EQ(append_one(a.log(), request("hole", "1")).seq, 1u);
    ASSERT_EQ(a.heard("hole", 1).size(), 1u);
    const RedisLogStats before = a.stats();
    const LogKeys keys("herald");
    auto admin = open(server_);
    EXPECT_EQ(call(*admin, {"HINCRBY", keys.channel_key("hole", "meta"), "last_seq", "1"}),
              RedisReply::make_integer(2));
    const std::int64_t lost_time = unix_millis();
    call(*admin, {"XADD", keys.channel_key("hole", "log"), "2-0", "time", std::to_string(lost_time),
                  "m", encode_message_fields("lost", "message", "\"lost\"", lost_time)});
    ASSERT_EQ(append_one(a.log(), request("hole", "3")).seq, 3u);

    const auto heard = a.heard("hole", 3);
    EXPECT_EQ(seqs_of(heard), range(1, 3));
    ASSERT_EQ(heard.size(), 3u);
    EXPECT_EQ(heard[1].data, "\"lost\"");
    EXPECT_EQ(heard[1].id, "lost");
    EXPECT_GT(a.stats().catch_up_reads, before.catch_up_reads);
    EXPECT_GT(a.stats().caught_up_messages, before.caught_up_messages);
    EXPECT_EQ(append_one(a.log(), request("hole", "4")).seq, 4u);
    EXPECT_EQ(seqs_of(a.heard("hole", 4)), range(1, 4)) << "nothing heard twice";
}

TEST_F(RedisLogTest, ASubscriberKilledMidBurstLosesNothing) {
    const std::vector<std::string> channels = {"burst:1", "burst:2", "burst:3"};
    Node a(port());
    Node b(port());
    a.follow(channels);
    b.follow(channels);
    // Both subscribed before the first message: a channel's messages from before a node
    // subscribed are not its business (FanoutTracker).
    ASSERT_TRUE(eventually([&] { return ready(a.log()) && ready(b.log()); }));
    Burst burst(b, channels);
    ASSERT_GE(a.heard("burst:1", 50).size(), 50u);  // mid-burst
    ASSERT_GE(b.heard("burst:1", 50).size(), 50u);

    // One subscriber connection of the two: CLIENT LIST names both.
    auto admin = open(server_);
    const std::string clients = call(*admin, {"CLIENT", "LIST", "TYPE", "pubsub"}).text();
    std::smatch id;
    ASSERT_TRUE(std::regex_search(clients, id, std::regex("id=(\\d+)"))) << clients;
    EXPECT_EQ(call(*admin, {"CLIENT", "KILL", "ID", id[1].str()}), RedisReply::make_integer(1));
    ASSERT_TRUE(eventually([&] {
        return a.stats().subscriber_reconnects + b.stats().subscriber_reconnects == 1;
    }));
    Node& killed = a.stats().subscriber_reconnects == 1 ? a : b;
    // The burst went on while it was away (the client waits 50 ms before reconnecting), and
    // goes on a while after it is back.
    const std::size_t back = killed.heard_count("burst:1");
    ASSERT_GE(killed.heard("burst:1", back + 50).size(), back + 50);
    burst.end();

    for (const auto& channel : channels) {
        const Seq newest = burst.newest().at(channel);
        for (Node* node : {&a, &b}) {
            const auto heard = node->heard(channel, newest);
            EXPECT_EQ(seqs_of(heard), range(1, newest)) << channel;
            for (const auto& message : heard) {
                EXPECT_EQ(message.data, burst.stored().at(std::pair(channel, message.seq)));
            }
        }
    }
    EXPECT_GT(killed.stats().caught_up_messages, 0u) << "what it missed came from the stream";
    EXPECT_EQ(a.stats().resets + b.stats().resets, 0u);
}

// Nothing is published after the subscribers are back, so no later push shows the hole: only
// the catch-up that follows every resubscription finds what was published while they were away.
TEST_F(RedisLogTest, WhatWasPublishedWhileSubscribersWereAwayIsCaughtUp) {
    Node a(port());
    Node b(port());
    a.follow({"quiet"});
    b.follow({"quiet", "fresh"});
    ASSERT_TRUE(eventually([&] { return ready(a.log()) && ready(b.log()); }));
    ASSERT_EQ(append_one(b.log(), request("quiet", "1")).seq, 1u);
    ASSERT_EQ(a.heard("quiet", 1).size(), 1u);
    ASSERT_EQ(b.heard("quiet", 1).size(), 1u);

    auto admin = open(server_);
    Seq newest = 1;
    Seq fresh = 0;
    // Published while both were away for sure: the nodes reconnect 50 ms after the kill, and
    // neither had when the append completed. Else (a very slow machine) kill and try again.
    for (int attempt = 0;; ++attempt) {
        ASSERT_LT(attempt, 5);
        ASSERT_TRUE(eventually([&] { return ready(a.log()) && ready(b.log()); }));
        const RedisLogStats a_before = a.stats();
        const RedisLogStats b_before = b.stats();
        ASSERT_EQ(call(*admin, {"CLIENT", "KILL", "TYPE", "pubsub"}), RedisReply::make_integer(2));
        std::vector<AppendRequest> batch;
        batch.push_back(request("quiet", "2"));
        batch.push_back(request("quiet", "3"));
        // A channel new to both: b learns of it from its own append only.
        batch.push_back(request("fresh", "1"));
        const auto results = append(b.log(), std::move(batch));
        ASSERT_EQ(results.size(), 3u);
        newest = std::max(newest, results[1].seq);
        fresh = results[2].seq;
        if (a.stats().subscriber_reconnects == a_before.subscriber_reconnects &&
            b.stats().subscriber_reconnects == b_before.subscriber_reconnects) {
            break;
        }
    }

    for (Node* node : {&a, &b}) {
        EXPECT_EQ(seqs_of(node->heard("quiet", newest)), range(1, newest));
        EXPECT_GT(node->stats().caught_up_messages, 0u);
    }
    // Every seq b stored there, though no push of them ever reached it. (Node a never heard of
    // the channel: for it, the channel starts with the first push it gets.)
    EXPECT_EQ(seqs_of(b.heard("fresh", fresh)), range(1, fresh));
}

// SCRIPT FLUSH (or a failover to a server that never loaded them) on a live connection: the
// next EVALSHA gets NOSCRIPT, which loads the script again and runs it once more.
TEST_F(RedisLogTest, ScriptsFlushedOnTheServerAreLoadedAgain) {
    Node a(port());
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    ASSERT_EQ(append_one(a.log(), request("s", "1")).seq, 1u);  // by EVALSHA from here on
    auto admin = open(server_);
    ASSERT_EQ(call(*admin, {"SCRIPT", "FLUSH"}), RedisReply::make_status("OK"));
    auto noscript_errors = [&] {
        const std::string errors = call(*admin, {"INFO", "errorstats"}).text();
        const auto at = errors.find("errorstat_NOSCRIPT:count=");
        return at == std::string::npos ? 0 : std::stoi(errors.substr(at + 25));
    };
    EXPECT_EQ(append_one(a.log(), request("s", "2")).seq, 2u);
    EXPECT_EQ(noscript_errors(), 1) << "one NOSCRIPT, then the retry ran";
    EXPECT_EQ(seqs_of(read(a.log(), "s", 0).messages), range(1, 2));
    EXPECT_EQ(noscript_errors(), 2) << "the read script's turn";
    EXPECT_EQ(append_one(a.log(), request("s", "3")).seq, 3u);
    EXPECT_EQ(noscript_errors(), 2) << "loaded again for good";
}

TEST_F(RedisLogTest, RedisGoneFailsEverythingAtOnce) {
    Node a(port(), 500ms);
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    ASSERT_EQ(append_one(a.log(), request("c", "1")).status, AppendStatus::stored);
    server_.stop();

    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(append_one(a.log(), request("c", "2")).status, AppendStatus::failed);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    const ReadResult failed = read(a.log(), "c", 0);
    EXPECT_TRUE(failed.failed);
    EXPECT_FALSE(failed.gap) << "a failed read is not a gap";
    EXPECT_FALSE(ready(a.log()));
    EXPECT_FALSE(wait_for<std::optional<ChannelState>>(
            [&](auto done) { a.log().channel("c", done); }, ChannelState{}));
    EXPECT_FALSE(wait_for<std::optional<std::vector<ChannelState>>>(
            [&](auto done) { a.log().channels("", done); }, std::vector<ChannelState>{}));
}

// A Redis that restarts loads its dataset first, answering every command with LOADING
// meanwhile: the node is not ready until it has loaded.
class RedisLogLoadingTest : public RedisTest {
protected:
    // 1 ms per key loaded, answering clients between keys: 2,000 keys of 1 KB keep a
    // restarted server loading, and answering LOADING, for 2 s.
    test::RedisServer server_{{.password = {},
                               .extra_args = {"--key-load-delay", "1000",
                                              "--loading-process-events-interval-bytes", "1024"}}};
};

TEST_F(RedisLogLoadingTest, NotReadyWhileRedisLoadsItsDataset) {
    {
        auto admin = open(server_);
        call(*admin, {"EVAL",
                      "for i = 1, 2000 do redis.call('SET', 'filler:' .. i, "
                      "string.rep('x', 1000)) end",
                      "0"});
        ASSERT_EQ(call(*admin, {"SAVE"}), RedisReply::make_status("OK"));
        admin->close();
    }
    Node a(server_.port(), 500ms);
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    server_.kill();
    server_.start();  // loads dump.rdb, slowly
    auto admin = open(server_);
    auto loading = [&] {
        return call(*admin, {"INFO", "persistence"}).text().find("loading:1") != std::string::npos;
    };
    ASSERT_TRUE(loading());
    // The node reconnects (50 ms after the loss) well within the load.
    ASSERT_TRUE(eventually([&] { return a.stats().subscriber_reconnects == 1; }));
    bool checked = false;
    while (loading()) {
        const bool is_ready = ready(a.log());
        if (!loading()) break;  // done meanwhile: the answer may be either
        EXPECT_FALSE(is_ready) << "ready while Redis loads";
        checked = true;
    }
    EXPECT_TRUE(checked) << "the load ended before the node was asked";
    EXPECT_TRUE(eventually([&] { return ready(a.log()); }));
}

TEST_F(RedisLogTest, AHungRedisFailsAppendsWithinTheTimeout) {
    Node a(port(), 300ms);
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    ::kill(server_.pid(), SIGSTOP);  // connections stay open, nothing answers
    struct Resume {
        pid_t pid;
        ~Resume() { ::kill(pid, SIGCONT); }  // before the server is stopped at the end
    } resume{server_.pid()};

    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(append_one(a.log(), request("c", "1")).status, AppendStatus::failed);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms + 500ms);  // the timeout, and slack
    EXPECT_TRUE(read(a.log(), "c", 0).failed);
    EXPECT_FALSE(ready(a.log()));
}

TEST_F(RedisLogTest, ARestartedRedisResetsItsChannels) {
    Node a(port(), 500ms);
    a.follow({"reset"});
    for (int i = 1; i <= 3; ++i) {
        ASSERT_EQ(append_one(a.log(), request("reset", std::to_string(i))).seq, Seq(i));
    }
    ASSERT_EQ(a.heard("reset", 3).size(), 3u);

    server_.kill();
    server_.start();  // same port, empty: no persistence
    ASSERT_TRUE(eventually([&] { return ready(a.log()); }));
    const AppendResult fresh = append_one(a.log(), request("reset", "\"new\""));
    EXPECT_EQ(fresh.status, AppendStatus::stored);
    EXPECT_EQ(fresh.seq, 1u) << "Redis lost the channel: it starts again";

    const ReadResult beyond = read(a.log(), "reset", 3);
    ASSERT_TRUE(beyond.gap);
    EXPECT_EQ(*beyond.gap, (Gap{3, 1, true}));
    EXPECT_EQ(seqs_of(beyond.messages), range(1, 1));
    EXPECT_EQ(beyond.last_seq, 1u);

    // The listener goes on with the new seqs, from 1, once each.
    EXPECT_EQ(append_one(a.log(), request("reset", "\"newer\"")).seq, 2u);
    const auto heard = a.heard("reset", 5);
    EXPECT_EQ(seqs_of(heard), (std::vector<Seq>{1, 2, 3, 1, 2}));
    ASSERT_EQ(heard.size(), 5u);
    EXPECT_EQ(heard[3].data, "\"new\"");
    EXPECT_EQ(a.stats().resets, 1u);
    EXPECT_EQ(a.stats().subscriber_reconnects, 1u);
}

}  // namespace
}  // namespace herald::storage::redis
