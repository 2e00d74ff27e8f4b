#include "transport/common/write_coalescer.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

class CountingClient : public WriteCoalescer::Client {
public:
    void flush_deferred() override { ++flushes; }
    int flushes = 0;
};

TEST(WriteCoalescer, FlushesEveryDeferredClientOnceWhenTheWindowEnds) {
    boost::asio::io_context context;
    WriteCoalescer coalescer(context.get_executor(), std::chrono::milliseconds(20));
    auto first = std::make_shared<CountingClient>();
    auto second = std::make_shared<CountingClient>();
    const auto started = std::chrono::steady_clock::now();
    coalescer.defer(first);
    coalescer.defer(second);
    context.run();
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(20));
    EXPECT_EQ(first->flushes, 1);
    EXPECT_EQ(second->flushes, 1);
    EXPECT_EQ(first.use_count(), 1) << "released after its flush";
}

TEST(WriteCoalescer, StopForgetsDeferredClients) {
    boost::asio::io_context context;
    WriteCoalescer coalescer(context.get_executor(), std::chrono::milliseconds(1));
    auto client = std::make_shared<CountingClient>();
    coalescer.defer(client);
    coalescer.stop();
    context.run();
    EXPECT_EQ(client->flushes, 0);
    EXPECT_EQ(client.use_count(), 1);
}

}  // namespace
}  // namespace herald::transport
