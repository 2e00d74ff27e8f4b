#include "core/channel_stream.hpp"

#include <future>
#include <limits>
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

/// A real shard, hub, service and memory log; the test runs its steps on the shard.
class ChannelStreamTest : public ::testing::Test {
protected:
    ChannelStreamTest() {
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

    storage::RetentionPolicy policy_{.max_messages = 3};
    storage::MemoryLog log_{policy_};
    runtime::ShardGroup shards_{1};
    ServerMetrics metrics_{1};
    // The window keeps what history keeps, as the server sets it up.
    Hub hub_{shards_, RecentMessages::Bounds{.messages_per_channel = 3}};
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

}  // namespace
}  // namespace herald::core
