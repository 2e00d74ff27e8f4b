#include "util/counted_slot.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(CountedSlot, TakesUpToTheLimitAndGivesBackOnDestruction) {
    std::atomic<std::uint32_t> count{0};
    {
        auto first = try_take(count, 2);
        auto second = try_take(count, 2);
        ASSERT_TRUE(first && second);
        EXPECT_FALSE(try_take(count, 2).has_value());
        EXPECT_EQ(count.load(), 2u) << "a refusal leaves the count as it was";
    }
    EXPECT_EQ(count.load(), 0u);
}

TEST(CountedSlot, MovingKeepsOneUnit) {
    std::atomic<std::uint32_t> count{0};
    auto slot = try_take(count, 1);
    CountedSlot moved = std::move(*slot);
    slot.reset();
    EXPECT_EQ(count.load(), 1u);
    moved = CountedSlot();
    EXPECT_EQ(count.load(), 0u);
}

TEST(CountedSlot, ZeroLimitCountsWithoutBound) {
    std::atomic<std::uint32_t> count{0};
    std::vector<CountedSlot> held;
    for (int i = 0; i < 50; ++i)
        held.push_back(std::move(*try_take(count, 0)));
    EXPECT_EQ(count.load(), 50u);
}

TEST(CountedSlot, RacingTakersNeverPassTheLimit) {
    std::atomic<std::uint32_t> count{0};
    constexpr std::uint32_t kLimit = 8;
    std::atomic<std::uint32_t> admitted{0};
    std::vector<std::thread> threads;
    std::vector<std::vector<CountedSlot>> held(4);
    for (std::size_t t = 0; t < held.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) {
                if (auto slot = try_take(count, kLimit)) held[t].push_back(std::move(*slot));
            }
            admitted.fetch_add(static_cast<std::uint32_t>(held[t].size()));
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_LE(admitted.load(), kLimit);
    EXPECT_EQ(count.load(), admitted.load());
}

}  // namespace
}  // namespace herald
