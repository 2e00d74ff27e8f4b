#include "wire/stream_encoding.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace herald::wire {
namespace {

core::MessagePtr message() {
    return std::make_shared<const core::Message>(
            storage::StoredMessage{"room:1", 17, "m_1", "chat", R"({"text":"a\nb"})", 5});
}

TEST(StreamEncoding, SseEventPerApiMd) {
    EXPECT_EQ(sse_retry(std::chrono::milliseconds(2000)), "retry: 2000\n\n");
    EXPECT_EQ(
            sse_event(*message()),
            "id: 17\nevent: chat\ndata: "
            R"({"channel":"room:1","seq":17,"id":"m_1","event":"chat","data":{"text":"a\nb"},"time":5})"
            "\n\n");
    EXPECT_EQ(sse_gap_event("room:1", core::Gap{3, 8}),
              "event: gap\ndata: "
              R"({"type":"gap","channel":"room:1","after":3,"first_seq":8})"
              "\n\n");
    EXPECT_EQ(kSseKeepalive, ": keepalive\n\n");
}

TEST(StreamEncoding, NdjsonLines) {
    EXPECT_EQ(
            ndjson_line(*message()),
            R"({"channel":"room:1","seq":17,"id":"m_1","event":"chat","data":{"text":"a\nb"},"time":5})"
            "\n");
    EXPECT_EQ(ndjson_gap_line("c", core::Gap{0, 4}),
              R"({"type":"gap","channel":"c","after":0,"first_seq":4})"
              "\n");
}

TEST(StreamEncoding, EachFormIsEncodedOnceWhateverTheNumberOfReaders) {
    auto shared = message();
    std::atomic<int> encodings{0};
    const core::Message::Encoder counting = [&encodings](const core::Message& m) {
        ++encodings;
        return sse_event(m);
    };
    std::vector<std::thread> readers;
    std::vector<const std::string*> seen(8);
    for (int i = 0; i < 8; ++i) {
        readers.emplace_back([&, i] {
            seen[static_cast<std::size_t>(i)] = &shared->encoded(core::WireForm::sse, counting);
        });
    }
    for (auto& reader : readers)
        reader.join();
    EXPECT_EQ(encodings.load(), 1);
    for (const std::string* bytes : seen)
        EXPECT_EQ(bytes, seen[0]) << "the same bytes, shared";
    EXPECT_EQ(*seen[0], sse_event(*shared));
    // Another form is another encoding.
    EXPECT_EQ(shared->encoded(core::WireForm::ndjson, ndjson_line), ndjson_line(*shared));
}

}  // namespace
}  // namespace herald::wire
