#include "util/message_id.hpp"

#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(MessageIdGenerator, UlidFormatUniqueAndTimeOrdered) {
    MessageIdGenerator ids;
    const std::regex format("^m_[0-9A-HJKMNP-TV-Z]{26}$");
    std::set<std::string> seen;
    for (int i = 0; i < 10'000; ++i) {
        std::string id = ids.next(1'700'000'000'000 + i / 10);
        ASSERT_TRUE(std::regex_match(id, format)) << id;
        ASSERT_TRUE(seen.insert(id).second) << "duplicate " << id;
    }
    EXPECT_LT(ids.next(1'700'000'000'000).substr(0, 12), ids.next(1'700'000'000'001).substr(0, 12));
    EXPECT_LT(ids.next(1'000), ids.next(1'700'000'000'000));
}

}  // namespace
}  // namespace herald
