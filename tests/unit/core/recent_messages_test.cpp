#include "core/recent_messages.hpp"

#include <gtest/gtest.h>

namespace herald::core {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;

MessagePtr message(const std::string& channel, Seq seq, std::int64_t time = kNow,
                   std::string data = "1") {
    return std::make_shared<const Message>(storage::StoredMessage{
            channel, seq, "id" + std::to_string(seq), "message", std::move(data), time});
}

std::vector<Seq> seqs(const std::optional<RecentMessages::Read>& read) {
    std::vector<Seq> out;
    if (read) {
        for (const auto& m : read->messages)
            out.push_back(m->seq());
    }
    return out;
}

std::vector<MessagePtr> run(const std::string& channel, Seq from, Seq to) {
    std::vector<MessagePtr> batch;
    for (Seq s = from; s <= to; ++s)
        batch.push_back(message(channel, s));
    return batch;
}

TEST(RecentMessages, AnswersACursorWithinTheWindowWithTheSameObjects) {
    RecentMessages recent({.messages_per_channel = 5});
    const auto batch = run("c", 1, 8);  // 4..8 kept
    recent.add(batch);
    auto read = recent.read("c", 5, 100, kNow);
    ASSERT_TRUE(read);
    EXPECT_EQ(seqs(read), (std::vector<Seq>{6, 7, 8}));
    EXPECT_EQ(read->last_seq, 8u);
    EXPECT_EQ(read->messages.front().get(), batch[5].get()) << "shared, not copied";
    EXPECT_EQ(seqs(recent.read("c", 3, 2, kNow)), (std::vector<Seq>{4, 5})) << "limit";
    auto at_head = recent.read("c", 8, 100, kNow);
    ASSERT_TRUE(at_head);
    EXPECT_TRUE(at_head->messages.empty());
    EXPECT_EQ(at_head->last_seq, 8u);
}

TEST(RecentMessages, StorageAnswersOutsideTheWindow) {
    RecentMessages recent({.messages_per_channel = 5});
    recent.add(run("c", 1, 8));
    EXPECT_FALSE(recent.read("c", 2, 100, kNow)) << "older than the window: 3 is not kept";
    EXPECT_FALSE(recent.read("c", 9, 100, kNow)) << "beyond the newest: a reset, or not added";
    EXPECT_FALSE(recent.read("c", std::numeric_limits<Seq>::max(), 100, kNow));
    EXPECT_FALSE(recent.read("other", 0, 100, kNow));
}

TEST(RecentMessages, MessagesPastTheAgeBoundGoToStorage) {
    RecentMessages recent({.max_age = std::chrono::milliseconds(1000)});
    recent.add({message("c", 1, kNow - 5000), message("c", 2, kNow)});
    EXPECT_FALSE(recent.read("c", 0, 100, kNow)) << "1 may have been trimmed: storage says";
    EXPECT_EQ(seqs(recent.read("c", 1, 100, kNow)), (std::vector<Seq>{2}));
}

TEST(RecentMessages, ANonContiguousSeqStartsTheWindowAgain) {
    RecentMessages recent({});
    recent.add(run("c", 1, 5));
    recent.add({message("c", 1)});  // the channel was reset
    EXPECT_EQ(seqs(recent.read("c", 0, 100, kNow)), (std::vector<Seq>{1}));
    EXPECT_FALSE(recent.read("c", 3, 100, kNow));
}

// A cluster node that stops hearing a channel drops its window: reads go to storage until the
// feed comes back, and the window starts again from the next message it hears.
TEST(RecentMessages, AForgottenChannelIsAnsweredByStorage) {
    RecentMessages recent({});
    recent.add(run("c", 1, 5));
    recent.add(run("d", 1, 2));
    const std::size_t both = recent.total_bytes();
    recent.forget("c");
    EXPECT_FALSE(recent.read("c", 3, 100, kNow));
    EXPECT_EQ(seqs(recent.read("d", 0, 100, kNow)), (std::vector<Seq>{1, 2})) << "others stay";
    EXPECT_LT(recent.total_bytes(), both);
    recent.forget("never");  // nothing to drop
    recent.add(run("c", 9, 10));
    EXPECT_EQ(seqs(recent.read("c", 8, 100, kNow)), (std::vector<Seq>{9, 10}));
    EXPECT_FALSE(recent.read("c", 5, 100, kNow)) << "6..8 were never heard: storage answers";
}

TEST(RecentMessages, BoundedByBytesPerChannelAndInAll) {
    const std::string big(10'000, 'x');
    RecentMessages recent({.bytes_per_channel = 50'000, .total_bytes = 100'000});
    for (Seq s = 1; s <= 20; ++s)
        recent.add({message("a", s, kNow, '"' + big + '"')});
    auto a = recent.read("a", 19, 100, kNow);
    ASSERT_TRUE(a);
    EXPECT_LE(recent.total_bytes(), 50'000u);
    EXPECT_FALSE(recent.read("a", 10, 100, kNow)) << "older ones dropped for the byte bound";
    for (Seq s = 1; s <= 20; ++s)
        recent.add({message("b", s, kNow, '"' + big + '"')});
    for (Seq s = 1; s <= 20; ++s)
        recent.add({message("c", s, kNow, '"' + big + '"')});
    EXPECT_LE(recent.total_bytes(), 100'000u);
    EXPECT_FALSE(recent.read("a", 19, 100, kNow)) << "the channel added to longest ago goes";
    EXPECT_TRUE(recent.read("c", 19, 100, kNow));
}

}  // namespace
}  // namespace herald::core
