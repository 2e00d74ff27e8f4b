#include "core/channel_subscribers.hpp"

#include <functional>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace herald::core {
namespace {

class RecordingSubscriber : public Subscriber {
public:
    void deliver(const MessagePtr& message) override {
        seqs.push_back(message->seq());
        if (on_deliver) on_deliver();
    }

    std::vector<Seq> seqs;
    std::function<void()> on_deliver;
};

MessagePtr message(const std::string& channel, Seq seq) {
    return std::make_shared<const Message>(
            storage::StoredMessage{channel, seq, "id", "message", "1", 0});
}

TEST(ChannelSubscribers, DeliversToTheChannelsSubscribersOnly) {
    ChannelSubscribers registry;
    RecordingSubscriber a, b, other;
    EXPECT_TRUE(registry.add("c", &a));
    EXPECT_TRUE(registry.add("c", &b));
    EXPECT_TRUE(registry.add("d", &other));
    EXPECT_FALSE(registry.add("c", &a)) << "a repeated subscribe is a no-op";
    registry.deliver(message("c", 1));
    EXPECT_EQ(a.seqs, std::vector<Seq>{1});
    EXPECT_EQ(b.seqs, std::vector<Seq>{1});
    EXPECT_TRUE(other.seqs.empty());
    EXPECT_EQ(registry.count("c"), 2u);
    EXPECT_EQ(registry.total(), 3u);
    registry.remove("c", &a);
    registry.deliver(message("c", 2));
    EXPECT_EQ(a.seqs, std::vector<Seq>{1});
    EXPECT_EQ(registry.count("c"), 1u);
}

TEST(ChannelSubscribers, SubscribersMayLeaveOrJoinDuringDelivery) {
    ChannelSubscribers registry;
    RecordingSubscriber first, second, third, joiner;
    registry.add("c", &first);
    registry.add("c", &second);
    registry.add("c", &third);
    first.on_deliver = [&] {
        registry.remove("c", &first);   // itself
        registry.remove("c", &second);  // another, not yet delivered to
        registry.add("c", &joiner);
    };
    registry.deliver(message("c", 1));
    EXPECT_EQ(first.seqs, std::vector<Seq>{1});
    EXPECT_TRUE(second.seqs.empty());
    EXPECT_EQ(third.seqs, std::vector<Seq>{1});
    EXPECT_EQ(registry.count("c"), 2u);  // third and joiner
    first.on_deliver = nullptr;
    registry.deliver(message("c", 2));
    EXPECT_EQ(joiner.seqs.back(), 2u);
    EXPECT_EQ(first.seqs.size(), 1u);
}

TEST(ChannelSubscribers, CountsByPrefix) {
    ChannelSubscribers registry;
    RecordingSubscriber a, b, c;
    registry.add("room:1", &a);
    registry.add("room:1", &b);
    registry.add("lobby", &c);
    std::map<std::string, std::size_t> counts;
    registry.add_counts("room:", counts);
    EXPECT_EQ(counts, (std::map<std::string, std::size_t>{{"room:1", 2}}));
    registry.add_counts("", counts);
    EXPECT_EQ(counts["room:1"], 4u) << "counts add up across calls (shards)";
    EXPECT_EQ(counts["lobby"], 1u);
}

TEST(Subscription, UnsubscribesWhenDestroyedAndMoves) {
    ChannelSubscribers registry;
    RecordingSubscriber a;
    {
        registry.add("c", &a);
        Subscription subscription(registry, "c", &a);
        Subscription moved = std::move(subscription);
        EXPECT_FALSE(subscription.active());  // NOLINT(bugprone-use-after-move): tested on purpose
        EXPECT_TRUE(moved.active());
        EXPECT_EQ(registry.count("c"), 1u);
    }
    EXPECT_EQ(registry.count("c"), 0u);
    EXPECT_EQ(registry.total(), 0u);
}

}  // namespace
}  // namespace herald::core
