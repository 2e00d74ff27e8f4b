#include "transport/common/send_queue.hpp"

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

std::string joined(const std::vector<boost::asio::const_buffer>& buffers) {
    std::string out;
    for (const auto& buffer : buffers)
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
    return out;
}

TEST(SendQueue, FramesQueuedDuringAWriteLeaveTogether) {
    SendQueue queue(1024);
    EXPECT_FALSE(queue.ready());
    EXPECT_EQ(queue.push(Frame::own("one ")), Enqueued::queued);
    EXPECT_TRUE(queue.ready());
    EXPECT_EQ(joined(queue.start_write()), "one ");
    EXPECT_TRUE(queue.writing());
    EXPECT_FALSE(queue.ready()) << "one write at a time";
    EXPECT_EQ(queue.push(Frame::own("two ")), Enqueued::queued);
    EXPECT_EQ(queue.push(Frame::own("three")), Enqueued::queued);
    queue.finish_write();
    EXPECT_TRUE(queue.ready());
    const auto& buffers = queue.start_write();
    EXPECT_EQ(buffers.size(), 2u) << "one gather write for both";
    EXPECT_EQ(joined(buffers), "two three");
    queue.finish_write();
    EXPECT_EQ(queue.queued_bytes(), 0u);
    EXPECT_FALSE(queue.ready());
}

TEST(SendQueue, PastTheByteBoundIsASlowConsumer) {
    SendQueue queue(10);
    EXPECT_EQ(queue.push(Frame::own("12345")), Enqueued::queued);
    (void)queue.start_write();  // in flight still counts: the peer has not taken it
    EXPECT_EQ(queue.push(Frame::own("12345")), Enqueued::queued);
    EXPECT_EQ(queue.queued_bytes(), 10u);
    EXPECT_EQ(queue.push(Frame::own("x")), Enqueued::over_limit);
    queue.finish_write();
    EXPECT_EQ(queue.push(Frame::own("x")), Enqueued::queued);
}

TEST(SendQueue, AnEmptyQueueTakesAFrameLargerThanTheBound) {
    SendQueue queue(4);
    EXPECT_EQ(queue.push(Frame::own("larger")), Enqueued::queued) << "else it could never leave";
    EXPECT_EQ(queue.push(Frame::own("x")), Enqueued::over_limit);
}

TEST(SendQueue, SharedBytesAreReferencedNotCopied) {
    auto shared = std::make_shared<const std::string>("encoded once");
    SendQueue first(100);
    SendQueue second(100);
    ASSERT_EQ(first.push(Frame{shared, *shared}), Enqueued::queued);
    ASSERT_EQ(second.push(Frame{shared, *shared}), Enqueued::queued);
    EXPECT_EQ(first.start_write()[0].data(), shared->data());
    EXPECT_EQ(second.start_write()[0].data(), shared->data());
    EXPECT_EQ(shared.use_count(), 3) << "each queue holds a reference, no copy";
}

TEST(SendQueue, FramingGoesAroundTheFramesOfOneWrite) {
    SendQueue queue(1024);
    EXPECT_EQ(queue.push(Frame::own("a")), Enqueued::queued);
    EXPECT_EQ(queue.push(Frame::own("bc")), Enqueued::queued);
    EXPECT_EQ(queue.pending_bytes(), 3u);
    const std::string before = "3\r\n";
    const std::string after = "\r\n";
    EXPECT_EQ(joined(queue.start_write(boost::asio::buffer(before), boost::asio::buffer(after))),
              "3\r\nabc\r\n");
    EXPECT_EQ(queue.pending_bytes(), 0u);
    EXPECT_EQ(queue.queued_bytes(), 3u) << "in flight still counts against the bound";
    queue.finish_write();
    EXPECT_EQ(queue.queued_bytes(), 0u);
}

}  // namespace
}  // namespace herald::transport
