#include "core/channel_stream.hpp"

#include <atomic>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/memory/memory_log.hpp"

namespace herald::core {
namespace {

constexpr runtime::ShardId kShard{0};

class RecordingSink : public StreamSink {
public:
    // Appended piece by piece: GCC 12 warns (-Wrestrict) on "literal" + std::string here.
    void on_message(const MessagePtr& message) override {
        std::string event = "m";
        event += std::to_string(message->seq());
        events.push_back(event);
    }
    void on_gap(const Gap& gap) override {
        std::string event = "gap";
        event += std::to_string(gap.after);
        event += '-';
        event += std::to_string(gap.first_seq);
        if (gap.reset) event += "-reset";
        events.push_back(event);
    }
    void on_read_failed() override { events.push_back("failed"); }
    bool has_room(const Message*) const override { return room; }

    bool room = true;

    std::vector<std::string> events;
};

/// A memory log whose reads take as long as the test says: each read is made at once (it sees
/// what is committed then), but its completion waits until `release`, as a slow storage's would
/// while the shard goes on. Everything else is the memory log's.
class HeldReadsLog final : public storage::MessageLog {
public:
    explicit HeldReadsLog(storage::MessageLog& inner) : inner_(inner) {}

    void set_commit_listener(CommitListener listener) override {
        inner_.set_commit_listener(std::move(listener));
    }
    void append_batch(std::vector<storage::AppendRequest> requests,
                      storage::BatchCompletion done) override {
        inner_.append_batch(std::move(requests), std::move(done));
    }
    void read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
              ReadCompletion done) override {
        inner_.read(
                channel, after, limit,
                [this, done = std::move(done)](storage::ReadResult&& result) mutable {
                    if (fail) result = storage::ReadResult{{}, 0, std::nullopt, true};
                    if (!hold) return done(std::move(result));
                    std::lock_guard lock(mutex_);
                    held_.push_back([done = std::move(done), result = std::move(result)]() mutable {
                        done(std::move(result));
                    });
                });
    }
    void channel(std::string_view channel, StateCompletion done) override {
        inner_.channel(channel, std::move(done));
    }
    void channels(std::string_view prefix, ListCompletion done) override {
        inner_.channels(prefix, std::move(done));
    }
    void check_ready(std::function<void(bool)> done) override {
        inner_.check_ready(std::move(done));
    }
    void close() override { inner_.close(); }

    /// Reads completed but held.
    std::size_t held() {
        std::lock_guard lock(mutex_);
        return held_.size();
    }
    /// Completes the oldest held read.
    void release() {
        std::function<void()> next;
        {
            std::lock_guard lock(mutex_);
            next = std::move(held_.front());
            held_.erase(held_.begin());
        }
        next();
    }

    std::atomic<bool> hold{false};
    std::atomic<bool> fail{false};  // reads fail, as a disk error would

private:
    storage::MessageLog& inner_;
    std::mutex mutex_;
    std::vector<std::function<void()>> held_;
};

/// A real shard, hub, service and memory log; the test runs its steps on the shard.
/// `kept`: history's max_messages; `window`: the messages the window of recent messages keeps
/// per channel (the server keeps as many as history; fewer, a replay reads storage).
class ChannelStreamTest : public ::testing::Test {
protected:
    explicit ChannelStreamTest(std::size_t kept = 3, std::size_t window = 3)
        : policy_{.max_messages = kept},
          memory_{policy_},
          hub_{shards_, RecentMessages::Bounds{.messages_per_channel = window}} {
        log_.set_commit_listener([this](std::vector<storage::StoredMessage>&& batch) {
            hub_.on_committed(std::move(batch));
        });
        shards_.start();
    }
    ~ChannelStreamTest() override {
        on_shard([this] { stream_.reset(); });
        shards_.stop();
        shards_.join();
    }

    template <class Step>
    void on_shard(Step step) {
        std::promise<void> done;
        shards_[kShard].post([&] {
            step();
            done.set_value();
        });
        done.get_future().wait();
    }
    /// Everything posted to the shard so far has run, and what that posted in turn. A read's
    /// completion is posted from the shard itself, and Asio queues such a post only once its
    /// handler returns: after anything the test posted meanwhile. A few round trips let it run.
    void settle() {
        for (int i = 0; i < 3; ++i)
            on_shard([] {});
    }

    void publish(int count) {
        for (int i = 0; i < count; ++i) {
            log_.append(storage::AppendRequest{"c", "server-id", false, "message", "1", unix_now()},
                        [](const storage::AppendResult&) {});
        }
    }
    static std::int64_t unix_now() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
    }
    void start(std::optional<Seq> after) {
        on_shard([this, after] {
            stream_ = std::make_unique<ChannelStream>(service_, kShard, "c", sink_);
            stream_->start(after);
        });
        settle();  // positioned and read: what the test publishes next comes after
    }

    storage::RetentionPolicy policy_;
    storage::MemoryLog memory_;
    HeldReadsLog log_{memory_};
    runtime::ShardGroup shards_{1};
    ServerMetrics metrics_{1};
    Hub hub_;
    ChannelService service_{log_, hub_, shards_, metrics_};
    RecordingSink sink_;
    std::unique_ptr<ChannelStream> stream_;
};

TEST_F(ChannelStreamTest, ResumesAfterTheCursorThenGoesLive) {
    publish(3);
    start(Seq{1});
    publish(2);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m2", "m3", "m4", "m5"}));
}

TEST_F(ChannelStreamTest, WithoutACursorOnlyNewMessages) {
    publish(2);
    start(std::nullopt);
    publish(1);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m3"}));
}

TEST_F(ChannelStreamTest, NoDuplicateAtTheSeam) {
    publish(2);
    on_shard([this] {
        // Committed now, its delivery to this shard still queued: the read below sees it too.
        publish(1);
        stream_ = std::make_unique<ChannelStream>(service_, kShard, "c", sink_);
        stream_->start(Seq{0});
    });
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m1", "m2", "m3"}));
    publish(1);
    settle();
    EXPECT_EQ(sink_.events.back(), "m4");
    EXPECT_EQ(sink_.events.size(), 4u);
}

TEST_F(ChannelStreamTest, TrimmedHistoryIsOneGapFirst) {
    publish(6);  // max_messages 3: 4..6 kept
    start(Seq{1});
    publish(1);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"gap1-4", "m4", "m5", "m6", "m7"}));
}

TEST_F(ChannelStreamTest, CursorBeyondLastSeqIsAResetThenEverythingRetained) {
    publish(6);  // max_messages 3: 4..6 kept
    start(std::numeric_limits<Seq>::max());
    publish(1);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"gap18446744073709551615-4-reset", "m4", "m5",
                                                      "m6", "m7"}));
}

TEST_F(ChannelStreamTest, ReplayWaitsForRoomAndLosesNothingMeanwhile) {
    publish(2);
    sink_.room = false;  // the connection is full before the first page
    start(Seq{0});
    publish(1);  // delivered live while paused: dropped, read back later
    settle();
    EXPECT_TRUE(sink_.events.empty());
    on_shard([this] {
        EXPECT_TRUE(stream_->replaying());
        sink_.room = true;
        stream_->resume();
        EXPECT_FALSE(stream_->replaying());
    });
    publish(1);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m1", "m2", "m3", "m4"}));
}

TEST_F(ChannelStreamTest, AChannelStorageRestartedIsAResetGapForALiveStream) {
    start(std::nullopt);
    publish(3);
    settle();
    // What a log shared by nodes tells when storage lost the channel: seqs start again at 1.
    auto restarted = [](Seq seq, bool reset) {
        storage::StoredMessage message{"c", seq, "again", "message", "1", unix_now()};
        message.reset = reset;
        return message;
    };
    std::vector<storage::StoredMessage> batch;
    batch.push_back(restarted(1, true));
    batch.push_back(restarted(2, false));
    hub_.on_committed(std::move(batch));
    std::vector<storage::StoredMessage> stale;
    stale.push_back(restarted(2, false));  // an old seq without the mark: a duplicate, dropped
    hub_.on_committed(std::move(stale));
    settle();
    EXPECT_EQ(sink_.events,
              (std::vector<std::string>{"m1", "m2", "m3", "gap3-1-reset", "m1", "m2"}));
}

TEST_F(ChannelStreamTest, StopEndsTheSubscription) {
    start(std::nullopt);
    on_shard([this] {
        EXPECT_EQ(hub_.subscribers(kShard).count("c"), 1u);
        stream_->stop();
        EXPECT_EQ(hub_.subscribers(kShard).count("c"), 0u);
    });
    publish(1);
    settle();
    EXPECT_TRUE(sink_.events.empty());
}

/// Storage that answers a replay late: history kept long, a window of one message, so a replay
/// from the start reads storage.
class SlowStorageTest : public ChannelStreamTest {
protected:
    SlowStorageTest() : ChannelStreamTest(100, 1) {}

    /// Waits until the stream's read is held, then completes it on the shard's turn.
    void release_read() {
        ASSERT_TRUE(wait_for([this] { return log_.held() > 0; })) << "no read was held";
        on_shard([this] { log_.release(); });
        settle();
    }
    template <class Condition>
    bool wait_for(Condition condition) {
        for (int i = 0; i < 1000; ++i) {
            if (condition()) return true;
            settle();
        }
        return false;
    }
};

TEST_F(SlowStorageTest, MessagesDeliveredWhileAReplayReadsAreReadAgainNotLost) {
    publish(3);
    log_.hold = true;
    on_shard([this] {
        stream_ = std::make_unique<ChannelStream>(service_, kShard, "c", sink_);
        stream_->start(Seq{0});
    });
    // The read saw 1..3; 4 and 5 are committed and delivered while it is held: dropped.
    ASSERT_TRUE(wait_for([this] { return log_.held() == 1; }));
    publish(2);
    settle();
    EXPECT_TRUE(sink_.events.empty());
    release_read();  // the page 1..3 ends below the dropped 5: the stream reads again
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m1", "m2", "m3"}));
    on_shard([this] { EXPECT_TRUE(stream_->replaying()); });
    release_read();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"}));
    on_shard([this] { EXPECT_FALSE(stream_->replaying()); });
    log_.hold = false;
    publish(1);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5", "m6"}));
}

TEST_F(SlowStorageTest, AReadThatFailsLateStopsTheStreamWithoutAGap) {
    publish(2);
    log_.hold = true;
    log_.fail = true;
    start(Seq{0});
    ASSERT_TRUE(wait_for([this] { return log_.held() == 1; }));
    publish(1);  // delivered while the read is held: dropped, as for any replay
    settle();
    release_read();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"failed"}));
    on_shard([this] { EXPECT_EQ(hub_.subscribers(kShard).count("c"), 0u); });
    log_.hold = false;
    publish(1);
    settle();
    EXPECT_EQ(sink_.events, (std::vector<std::string>{"failed"})) << "stopped: nothing after";
}

}  // namespace
}  // namespace herald::core
