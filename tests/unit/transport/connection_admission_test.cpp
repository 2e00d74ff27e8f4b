#include "transport/http/connection_admission.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

namespace ip = boost::asio::ip;

class ConnectionAdmissionTest : public ::testing::Test {
protected:
    HttpLimits limits_{.max_connections_per_ip = 3};
    core::ServerMetrics metrics_{1};
    ConnectionsPerAddress per_address_;
    ConnectionAdmission admission_{limits_, metrics_, per_address_};
};

TEST_F(ConnectionAdmissionTest, AnAddressGetsItsLimitThenNone) {
    const auto address = ip::make_address("198.51.100.1");
    std::vector<CountedSlot> held;
    for (int i = 0; i < 3; ++i) {
        auto slot = admission_.take_address(address);
        ASSERT_TRUE(slot.has_value()) << i;
        held.push_back(std::move(*slot));
    }
    EXPECT_FALSE(admission_.take_address(address).has_value());
    EXPECT_FALSE(admission_.take_address(ip::make_address("::ffff:198.51.100.1")).has_value())
            << "the same client over a dual-stack socket";
    EXPECT_TRUE(admission_.take_address(ip::make_address("198.51.100.2")).has_value());
}

TEST_F(ConnectionAdmissionTest, AnEndedConnectionGivesItsPlaceBack) {
    const auto address = ip::make_address("2001:db8::7");
    std::vector<CountedSlot> held;
    for (int i = 0; i < 3; ++i)
        held.push_back(std::move(*admission_.take_address(address)));
    EXPECT_FALSE(admission_.take_address(ip::make_address("2001:db8::8")).has_value()) << "one /64";
    CountedSlot moved = std::move(held.back());  // handed over to another session
    held.pop_back();
    EXPECT_FALSE(admission_.take_address(address).has_value()) << "the moved slot still counts";
    moved = CountedSlot();
    EXPECT_TRUE(admission_.take_address(address).has_value());
}

TEST_F(ConnectionAdmissionTest, ZeroMeansNoBound) {
    limits_.max_connections_per_ip = 0;
    const auto address = ip::make_address("127.0.0.1");
    std::vector<CountedSlot> held;
    for (int i = 0; i < 100; ++i) {
        auto slot = admission_.take_address(address);
        ASSERT_TRUE(slot.has_value());
        held.push_back(std::move(*slot));
    }
}

TEST_F(ConnectionAdmissionTest, TrustedProxiesAreNotBoundedPerAddress) {
    std::string error;
    limits_.trusted_proxies.push_back(*IpNetwork::parse("10.0.0.0/8", error));
    std::vector<CountedSlot> held;
    for (int i = 0; i < 10; ++i) {
        auto slot = admission_.take_address(ip::make_address("10.0.0.1"));
        ASSERT_TRUE(slot.has_value()) << "a balancer carries many clients: " << i;
        held.push_back(std::move(*slot));
    }
    for (int i = 0; i < 3; ++i)
        held.push_back(std::move(*admission_.take_address(ip::make_address("192.0.2.1"))));
    EXPECT_FALSE(admission_.take_address(ip::make_address("192.0.2.1")).has_value())
            << "others are still bounded";
}

}  // namespace
}  // namespace herald::transport
