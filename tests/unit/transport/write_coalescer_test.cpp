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

// Shutdown: what was held back leaves at once (the last chunks and close frames of ending
// connections), and so does every flush after, without waiting for a window.
TEST(WriteCoalescer, StopFlushesDeferredClientsAndDefersNoMore) {
    boost::asio::io_context context;
    WriteCoalescer coalescer(context.get_executor(), std::chrono::hours(1));
    auto client = std::make_shared<CountingClient>();
    coalescer.defer(client);
    coalescer.stop();
    context.run();  // the hour-long window is not waited for
    EXPECT_EQ(client->flushes, 1);
    coalescer.schedule(client, WriteCoalescer::Clock::now());  // busy: would be deferred
    coalescer.defer(client);
    context.restart();
    context.run();
    EXPECT_EQ(client->flushes, 3);
    EXPECT_EQ(client.use_count(), 1) << "nothing holds it after its flushes";
}

}  // namespace
}  // namespace herald::transport
