#include "storage/message_log.hpp"  // first: proves the header is self-contained

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../support/redis_server.hpp"
#include "storage/memory/memory_log.hpp"
#include "storage/redis/redis_log.hpp"
#include "storage/sqlite/sqlite_log.hpp"

namespace herald::storage {
namespace {

using namespace std::chrono_literals;

enum class Backend { memory, sqlite, redis };

std::filesystem::path fresh_temp_dir() {
    std::random_device random;
    auto dir = std::filesystem::temp_directory_path() /
               ("herald-unit-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
    return dir;
}

std::int64_t now_millis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
}

/// Times are "now" unless given: retention and the dedupe window count from the clock.
AppendRequest request(std::string channel, std::string data, std::string id = "",
                      std::int64_t time = now_millis()) {
    AppendRequest r;
    r.channel = std::move(channel);
    r.data = std::move(data);
    r.event = "message";
    r.client_id = !id.empty();
    static std::atomic<int> counter{0};
    r.id = id.empty() ? "server-" + std::to_string(counter++) : std::move(id);
    r.time = time;
    return r;
}

/// A read, waited for (reads complete on a storage thread, or at once).
ReadResult read_now(MessageLog& log, std::string_view channel, std::optional<Seq> after,
                    std::size_t limit) {
    std::promise<ReadResult> done;
    auto result = done.get_future();
    log.read(channel, after, limit,
             [&done](ReadResult&& read) { done.set_value(std::move(read)); });
    return result.get();
}

std::vector<Seq> seqs_of(const ReadResult& result) {
    std::vector<Seq> seqs;
    for (const auto& message : result.messages)
        seqs.push_back(message.seq);
    return seqs;
}

std::vector<Seq> range(Seq from, Seq to) {
    std::vector<Seq> seqs;
    for (Seq s = from; s <= to; ++s)
        seqs.push_back(s);
    return seqs;
}

class MessageLogTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        // A redis-server of its own per test (it starts in milliseconds): nothing carries over.
        if (GetParam() == Backend::redis) redis_ = std::make_unique<test::RedisServer>();
        open();
    }
    void TearDown() override {
        // The log's thread stops first: no listener or completion starts a helper after this,
        // and a helper still reading gets a failed read at once.
        if (log_ && GetParam() == Backend::redis) log_->close();
        for (auto& helper : helpers_)
            helper.join();
        log_.reset();
        std::filesystem::remove_all(dir_);
    }

    void open() {
        if (GetParam() == Backend::memory) {
            log_ = std::make_unique<MemoryLog>(policy_);
        } else if (GetParam() == Backend::redis) {
            redis::RedisLogOptions options;
            options.url = redis::parse_redis_url(
                    std::string("redis://127.0.0.1:").append(std::to_string(redis_->port())));
            options.retention = policy_;
            log_ = std::make_unique<redis::RedisLog>(options);
        } else {
            SqliteOptions options;
            options.directory = dir_.string();
            options.retention = policy_;
            options.index_interval = index_interval_;
            options.index_rows = index_rows_;
            log_ = std::make_unique<SqliteLog>(options);
        }
        log_->set_commit_listener([this](std::vector<StoredMessage>&& batch) {
            std::lock_guard lock(committed_mutex_);
            for (auto& message : batch)
                committed_.push_back(std::move(message));
            committed_changed_.notify_all();
        });
    }
    void reopen() {
        log_.reset();
        followed_.clear();
        open();
    }

    AppendResult append(AppendRequest r) {
        std::promise<AppendResult> done;
        auto result = done.get_future();
        const std::string channel = r.channel;
        follow(channel);
        log_->append(std::move(r), [&done](const AppendResult& stored) { done.set_value(stored); });
        AppendResult stored = result.get();
        if (stored.status == AppendStatus::stored) {
            std::lock_guard lock(committed_mutex_);
            Seq& newest = appended_[channel];
            newest = std::max(newest, stored.seq);
        }
        return stored;
    }
    /// A subscriber here, once per channel: a log shared by nodes (Redis) feeds the listener
    /// only the channels followed; the others feed it everything.
    void follow(const std::string& channel) {
        std::lock_guard lock(committed_mutex_);
        if (followed_.insert(channel).second) log_->follow(channel, true);
    }
    Seq append_data(const std::string& channel, const std::string& data) {
        AppendResult result = append(request(channel, data));
        EXPECT_EQ(result.status, AppendStatus::stored);
        return result.seq;
    }
    ChannelState state(const std::string& channel) {
        std::promise<std::optional<ChannelState>> done;
        log_->channel(channel,
                      [&done](std::optional<ChannelState> s) { done.set_value(std::move(s)); });
        auto state = done.get_future().get();
        EXPECT_TRUE(state.has_value());
        return state.value_or(ChannelState{});
    }
    std::vector<ChannelState> listed(const std::string& prefix) {
        std::promise<std::optional<std::vector<ChannelState>>> done;
        log_->channels(prefix, [&done](auto list) { done.set_value(std::move(list)); });
        auto list = done.get_future().get();
        EXPECT_TRUE(list.has_value());
        return list.value_or(std::vector<ChannelState>{});
    }
    /// What the listener got, once it got every message `append` stored, or after 5 s. The
    /// memory and SQLite logs tell it before the append completes; Redis's fan-out may tell it
    /// a moment after.
    std::vector<StoredMessage> committed() {
        std::unique_lock lock(committed_mutex_);
        committed_changed_.wait_for(lock, 5s, [this] {
            std::map<std::string, Seq> newest;
            for (const auto& message : committed_)
                newest[message.channel] = std::max(newest[message.channel], message.seq);
            return std::all_of(appended_.begin(), appended_.end(), [&](const auto& entry) {
                return newest[entry.first] >= entry.second;
            });
        });
        return committed_;
    }
    /// Runs `work` where it may wait for the log. The Redis log's callbacks run on its only
    /// thread, which must not wait for itself (the contract: completions only hand results on);
    /// a caller that waits does so on its own thread, as a shard would. The memory and SQLite
    /// logs answer such calls without their thread, so the work runs right in the callback,
    /// which keeps this test of their locks as it was.
    void off_log_thread(std::function<void()> work) {
        if (GetParam() != Backend::redis) return work();
        std::lock_guard lock(committed_mutex_);
        helpers_.emplace_back(std::move(work));
    }

    RetentionPolicy policy_;
    std::chrono::milliseconds index_interval_{100};
    std::size_t index_rows_ = 2000;
    std::filesystem::path dir_ = fresh_temp_dir();
    std::unique_ptr<test::RedisServer> redis_;
    std::unique_ptr<MessageLog> log_;
    std::mutex committed_mutex_;
    std::condition_variable committed_changed_;
    std::vector<StoredMessage> committed_;
    std::map<std::string, Seq> appended_;  // channel -> newest seq `append` stored
    std::set<std::string> followed_;
    std::vector<std::thread> helpers_;  // off_log_thread's, joined before the log closes
};

TEST_P(MessageLogTest, SeqStartsAtOneAndGrowsByOnePerChannel) {
    EXPECT_EQ(append_data("a", "1"), 1u);
    EXPECT_EQ(append_data("a", "2"), 2u);
    EXPECT_EQ(append_data("b", "1"), 1u);
    EXPECT_EQ(append_data("a", "3"), 3u);
    EXPECT_EQ(seqs_of(read_now(*log_, "a", std::nullopt, 100)), range(1, 3));
    EXPECT_EQ(seqs_of(read_now(*log_, "b", std::nullopt, 100)), range(1, 1));
}

TEST_P(MessageLogTest, StoresEveryField) {
    const std::int64_t time = now_millis() - 5;
    AppendRequest r = request("room:1", R"({"text":"hi"})", "client-7", time);
    r.event = "chat";
    AppendResult result = append(r);
    EXPECT_EQ(result.status, AppendStatus::stored);
    EXPECT_EQ(result.id, "client-7");
    EXPECT_EQ(result.time, time);
    ReadResult read = read_now(*log_, "room:1", std::nullopt, 10);
    ASSERT_EQ(read.messages.size(), 1u);
    const StoredMessage& m = read.messages[0];
    EXPECT_EQ(m.channel, "room:1");
    EXPECT_EQ(m.seq, 1u);
    EXPECT_EQ(m.id, "client-7");
    EXPECT_EQ(m.event, "chat");
    EXPECT_EQ(m.data, R"({"text":"hi"})");
    EXPECT_EQ(m.time, time);
    EXPECT_EQ(read.last_seq, 1u);
    EXPECT_FALSE(read.gap);
}

TEST_P(MessageLogTest, ClientIdIsStoredOnce) {
    const std::int64_t time = now_millis();
    AppendResult first = append(request("c", "1", "key", time));
    append_data("c", "2");
    AppendResult again = append(request("c", "other", "key", time + 7));
    EXPECT_EQ(again.status, AppendStatus::duplicate);
    EXPECT_EQ(again.seq, first.seq);
    EXPECT_EQ(again.time, time);
    EXPECT_EQ(again.id, "key");
    EXPECT_EQ(seqs_of(read_now(*log_, "c", std::nullopt, 10)), range(1, 2));
    // The same id in another channel is another message.
    EXPECT_EQ(append(request("d", "1", "key")).status, AppendStatus::stored);
}

TEST_P(MessageLogTest, DuplicateInOneBatchIsStoredOnce) {
    std::vector<AppendRequest> batch;
    batch.push_back(request("c", "1", "same"));
    batch.push_back(request("c", "2", "same"));
    batch.push_back(request("c", "3"));
    std::promise<std::vector<AppendResult>> done;
    log_->append_batch(std::move(batch), [&done](std::vector<AppendResult>&& results) {
        done.set_value(std::move(results));
    });
    auto results = done.get_future().get();
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].status, AppendStatus::stored);
    EXPECT_EQ(results[1].status, AppendStatus::duplicate);
    EXPECT_EQ(results[1].seq, results[0].seq);
    EXPECT_EQ(results[2].seq, 2u);
    EXPECT_EQ(seqs_of(read_now(*log_, "c", std::nullopt, 10)), range(1, 2));
}

TEST_P(MessageLogTest, ServerIdsNeverDeduplicate) {
    AppendRequest r = request("c", "1", "");
    r.id = "m_same";
    r.client_id = false;
    EXPECT_EQ(append(r).status, AppendStatus::stored);
    EXPECT_EQ(append(r).status, AppendStatus::stored);
    EXPECT_EQ(read_now(*log_, "c", std::nullopt, 10).messages.size(), 2u);
}

TEST_P(MessageLogTest, ReadsByCursorAndLimit) {
    for (int i = 0; i < 10; ++i)
        append_data("r", std::to_string(i));
    EXPECT_EQ(seqs_of(read_now(*log_, "r", Seq{4}, 100)), range(5, 10));
    EXPECT_EQ(seqs_of(read_now(*log_, "r", Seq{0}, 3)), range(1, 3));
    EXPECT_EQ(seqs_of(read_now(*log_, "r", std::nullopt, 2)), range(1, 2));
    ReadResult end = read_now(*log_, "r", Seq{10}, 100);
    EXPECT_TRUE(end.messages.empty());
    EXPECT_EQ(end.last_seq, 10u);
}

constexpr Seq kSeqMiddle = Seq{1} << 63;
constexpr Seq kSeqMax = std::numeric_limits<Seq>::max();

TEST_P(MessageLogTest, CursorBeyondLastSeqIsAResetFromTheOldestRetained) {
    for (int i = 0; i < 10; ++i)
        append_data("r", std::to_string(i));
    for (Seq cursor : {Seq{11}, Seq{50}, kSeqMiddle, kSeqMax - 1, kSeqMax}) {
        ReadResult read = read_now(*log_, "r", cursor, 4);
        ASSERT_TRUE(read.gap) << cursor;
        EXPECT_EQ(*read.gap, (Gap{cursor, 1, true})) << cursor;
        EXPECT_EQ(seqs_of(read), range(1, 4)) << cursor;
        EXPECT_EQ(read.last_seq, 10u);
    }
    ReadResult at_end = read_now(*log_, "r", Seq{10}, 100);
    EXPECT_FALSE(at_end.gap) << "a cursor at last_seq is not beyond it";
    EXPECT_TRUE(at_end.messages.empty());
}

TEST_P(MessageLogTest, CursorBeyondAnUnusedChannelIsAResetToSeqOne) {
    EXPECT_FALSE(read_now(*log_, "nobody", Seq{0}, 10).gap);
    for (Seq cursor : {Seq{1}, kSeqMiddle, kSeqMax}) {
        ReadResult read = read_now(*log_, "nobody", cursor, 10);
        ASSERT_TRUE(read.gap) << cursor;
        EXPECT_EQ(*read.gap, (Gap{cursor, 1, true})) << cursor;
        EXPECT_TRUE(read.messages.empty());
        EXPECT_EQ(read.last_seq, 0u);
    }
}

TEST_P(MessageLogTest, UnusedChannelIsEmpty) {
    ReadResult read = read_now(*log_, "nobody", Seq{0}, 10);
    EXPECT_TRUE(read.messages.empty());
    EXPECT_EQ(read.last_seq, 0u);
    EXPECT_FALSE(read.gap);
    ChannelState nobody = state("nobody");
    EXPECT_EQ(nobody.first_seq, 0u);
    EXPECT_EQ(nobody.last_seq, 0u);
    EXPECT_FALSE(nobody.has_history());
    EXPECT_TRUE(listed("nobody").empty()) << "a channel never used is not listed";
}

TEST_P(MessageLogTest, ChannelStateAndPrefixListing) {
    append_data("room:b", "1");
    append_data("room:a", "1");
    append_data("room:a", "2");
    append_data("other", "1");
    ChannelState a = state("room:a");
    EXPECT_EQ(a.first_seq, 1u);
    EXPECT_EQ(a.last_seq, 2u);
    auto rooms = listed("room:");
    ASSERT_EQ(rooms.size(), 2u);
    EXPECT_EQ(rooms[0].channel, "room:a");
    EXPECT_EQ(rooms[1].channel, "room:b");
    EXPECT_EQ(listed("").size(), 3u);
    EXPECT_TRUE(listed("zzz").empty());
}

TEST_P(MessageLogTest, RetentionByCountReportsGap) {
    policy_.max_messages = 5;
    reopen();
    for (int i = 0; i < 12; ++i)
        append_data("g", std::to_string(i));
    ReadResult from_start = read_now(*log_, "g", Seq{0}, 100);
    EXPECT_EQ(seqs_of(from_start), range(8, 12));
    ASSERT_TRUE(from_start.gap);
    EXPECT_EQ(from_start.gap->after, 0u);
    EXPECT_EQ(from_start.gap->first_seq, 8u);
    ReadResult no_cursor = read_now(*log_, "g", std::nullopt, 100);
    EXPECT_EQ(seqs_of(no_cursor), range(8, 12));
    EXPECT_FALSE(no_cursor.gap);
    EXPECT_FALSE(read_now(*log_, "g", Seq{9}, 100).gap);
    EXPECT_FALSE(read_now(*log_, "g", Seq{7}, 100).gap);
    EXPECT_TRUE(read_now(*log_, "g", Seq{6}, 100).gap);
    EXPECT_EQ(state("g").first_seq, 8u);
}

TEST_P(MessageLogTest, RetentionByAgeTrimsEverythingAndSeqsContinue) {
    policy_.max_age = 200ms;
    policy_.sweep_interval = 20ms;
    index_interval_ = 20ms;
    reopen();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    for (int i = 0; i < 3; ++i)
        append(request("old", "x", "", now));
    // SQLite's mover deletes the rows first and tells the writer after: wait for both.
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while ((!read_now(*log_, "old", std::nullopt, 10).messages.empty() ||
            state("old").first_seq != 4u) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    ReadResult read = read_now(*log_, "old", Seq{0}, 10);
    EXPECT_TRUE(read.messages.empty());
    ASSERT_TRUE(read.gap);
    EXPECT_EQ(read.gap->first_seq, 4u);
    EXPECT_EQ(read.last_seq, 3u);
    EXPECT_EQ(state("old").first_seq, 4u);
    EXPECT_FALSE(state("old").has_history());
    const auto listed_old = listed("old");
    ASSERT_EQ(listed_old.size(), 1u) << "trimmed, but used: still listed, with its last_seq";
    EXPECT_EQ(listed_old[0].last_seq, 3u);
    ReadResult beyond = read_now(*log_, "old", kSeqMax, 10);
    ASSERT_TRUE(beyond.gap);
    EXPECT_EQ(*beyond.gap, (Gap{kSeqMax, 4, true})) << "nothing retained: after last_seq";
    EXPECT_TRUE(beyond.messages.empty());
    EXPECT_EQ(append(request("old", "new", "", now + 10'000)).seq, 4u);
}

TEST_P(MessageLogTest, ListenerGetsEveryCommittedMessageOnceInOrder) {
    for (int i = 0; i < 20; ++i)
        append_data(i % 2 ? "odd" : "even", std::to_string(i));
    append(request("even", "dup", "k"));
    append(request("even", "dup", "k"));  // a duplicate is not committed again
    auto messages = committed();
    ASSERT_EQ(messages.size(), 21u);
    std::map<std::string, Seq> last;
    for (const auto& m : messages) {
        EXPECT_EQ(m.seq, last[m.channel] + 1) << m.channel;
        last[m.channel] = m.seq;
    }
}

// Listeners and completions run with the log's locks released: they may call back into it
// (with the memory log's mutex held, this deadlocked).
TEST_P(MessageLogTest, ListenerAndCompletionMayCallBackIntoTheLog) {
    // Shared with the listener, which may still be called (a late fan-out) after this body.
    auto listener_read = std::make_shared<std::promise<Seq>>();
    auto first = std::make_shared<std::atomic<bool>>(true);
    log_->set_commit_listener([this, listener_read, first](std::vector<StoredMessage>&& batch) {
        if (batch.front().channel != "re" || !first->exchange(false)) return;
        off_log_thread([this, listener_read] {
            listener_read->set_value(read_now(*log_, "re", Seq{0}, 10).last_seq);
        });
    });
    std::promise<AppendResult> nested;
    follow("re");
    log_->append(request("re", "1"), [&](const AppendResult&) {
        off_log_thread([&] {
            EXPECT_EQ(state("re").last_seq, 1u);
            log_->append(request("re", "2"),
                         [&](const AppendResult& result) { nested.set_value(result); });
        });
    });
    EXPECT_EQ(nested.get_future().get().seq, 2u);
    EXPECT_GE(listener_read->get_future().get(), 1u);
}

TEST_P(MessageLogTest, ConcurrentAppendersGetDistinctContiguousSeqs) {
    constexpr int kThreads = 4;
    constexpr int kEach = 500;
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::vector<Seq> seqs;
    follow("busy");
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::vector<std::future<AppendResult>> pending;
            std::vector<std::shared_ptr<std::promise<AppendResult>>> promises;
            for (int i = 0; i < kEach; ++i) {
                auto promise = std::make_shared<std::promise<AppendResult>>();
                pending.push_back(promise->get_future());
                log_->append(request("busy", std::to_string(t * kEach + i)),
                             [promise](const AppendResult& r) { promise->set_value(r); });
            }
            for (auto& future : pending) {
                AppendResult result = future.get();
                std::lock_guard lock(mutex);
                seqs.push_back(result.seq);
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    std::sort(seqs.begin(), seqs.end());
    EXPECT_EQ(seqs, range(1, kThreads * kEach));
    {
        // committed() waits for the listener to hear up to here.
        std::lock_guard lock(committed_mutex_);
        appended_["busy"] = kThreads * kEach;
    }
    auto messages = committed();
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(kThreads * kEach));
    for (std::size_t i = 0; i < messages.size(); ++i)
        EXPECT_EQ(messages[i].seq, i + 1);
    // The default retention keeps the newest 1000.
    EXPECT_EQ(seqs_of(read_now(*log_, "busy", std::nullopt, 5000)),
              range(kThreads * kEach - 999, kThreads * kEach));
}

TEST_P(MessageLogTest, ReadsSpanMovedAndRecentMessages) {
    // With SQLite, older messages sit in `messages` and newer ones in the tail: a read must
    // see one contiguous range across both.
    index_rows_ = 7;
    reopen();
    for (int i = 0; i < 30; ++i)
        append_data("span", std::to_string(i));
    for (Seq after = 0; after < 30; ++after) {
        EXPECT_EQ(seqs_of(read_now(*log_, "span", after, 1000)), range(after + 1, 30)) << after;
    }
    EXPECT_EQ(seqs_of(read_now(*log_, "span", Seq{3}, 5)), range(4, 8));
}

INSTANTIATE_TEST_SUITE_P(AllBackends, MessageLogTest,
                         ::testing::Values(Backend::memory, Backend::sqlite, Backend::redis),
                         [](const auto& info) {
                             switch (info.param) {
                                 case Backend::memory: return "memory";
                                 case Backend::sqlite: return "sqlite";
                                 case Backend::redis: return "redis";
                             }
                             return "unknown";
                         });

// SQLite only: what survives a restart.
class SqliteRestartTest : public MessageLogTest {};

TEST_P(SqliteRestartTest, SeqsAndIdsSurviveReopen) {
    append_data("p", "1");
    AppendResult keyed = append(request("p", "2", "key"));
    reopen();
    EXPECT_EQ(seqs_of(read_now(*log_, "p", std::nullopt, 10)), range(1, 2));
    EXPECT_EQ(append(request("p", "again", "key")).seq, keyed.seq);
    EXPECT_EQ(append_data("p", "3"), 3u);
}

TEST_P(SqliteRestartTest, SeqsSurviveReopenAfterEverythingWasTrimmed) {
    policy_.max_age = 100ms;
    policy_.sweep_interval = 20ms;
    index_interval_ = 20ms;
    reopen();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    for (int i = 0; i < 3; ++i)
        append(request("t", "x", "", now));
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (state("t").has_history() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_FALSE(state("t").has_history());
    reopen();
    EXPECT_EQ(state("t").last_seq, 3u);
    EXPECT_EQ(append(request("t", "y", "", now + 10'000)).seq, 4u);
}

// Recovery of messages still in the tail table after a crash: tests/integration/durability
// kills the real server with SIGKILL mid-burst, which leaves such rows.

// A read storage cannot make (here: history.db overwritten with zeros under the server) is an
// error, never a gap: a gap would make clients skip messages that exist.
TEST_P(SqliteRestartTest, AFailedReadIsAnErrorNotAGap) {
    index_interval_ = 10ms;
    index_rows_ = 10;
    reopen();
    for (int i = 0; i < 60; ++i)
        append_data("x", std::to_string(i));
    // The mover copies the tail into history.db in bulk: wait until the rows are there (a
    // connection of the test's own counts them), so the read below must go to the file.
    const auto history = dir_ / "history.db";
    const auto moved = [&] {
        sqlite3* db = nullptr;
        std::int64_t rows = 0;
        if (sqlite3_open_v2(history.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
            sqlite3_stmt* count = nullptr;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE channel = 'x'", -1,
                                   &count, nullptr) == SQLITE_OK &&
                sqlite3_step(count) == SQLITE_ROW) {
                rows = sqlite3_column_int64(count, 0);
            }
            sqlite3_finalize(count);
        }
        sqlite3_close(db);
        return rows;
    };
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (moved() < 60 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);  // polls the state, with the deadline above
    ASSERT_EQ(moved(), 60) << "the mover did not copy the rows into history.db";
    for (const auto& path : {history, std::filesystem::path(history.string() + "-wal")}) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) continue;
        std::ofstream(path, std::ios::binary | std::ios::in | std::ios::out)
                .write(std::string(size, '\0').data(), static_cast<std::streamsize>(size));
    }
    ReadResult read = read_now(*log_, "x", Seq{0}, 100);
    EXPECT_TRUE(read.failed);
    EXPECT_FALSE(read.gap) << "a failed read is not a gap";
    EXPECT_TRUE(read.messages.empty());
}

TEST_P(SqliteRestartTest, FsyncAlwaysStores) {
    log_.reset();
    SqliteOptions options;
    options.directory = dir_.string();
    options.fsync_always = true;
    log_ = std::make_unique<SqliteLog>(options);
    EXPECT_EQ(append_data("f", "1"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteRestartTest, ::testing::Values(Backend::sqlite),
                         [](const auto&) { return "sqlite"; });

TEST(GapFor, OnlyWhenTheCursorIsBeforeTheOldestRetained) {
    ChannelState state{"c", 8, 12};
    EXPECT_FALSE(gap_for(state, 7));
    EXPECT_FALSE(gap_for(state, 12));
    ASSERT_TRUE(gap_for(state, 6));
    EXPECT_EQ(gap_for(state, 6)->first_seq, 8u);
    EXPECT_FALSE(gap_for(ChannelState{"c", 0, 0}, 0)) << "a channel never used has no gap";
    EXPECT_TRUE(gap_for(ChannelState{"c", 4, 3}, 0)) << "everything trimmed";
    EXPECT_EQ(*gap_for(state, 13), (Gap{13, 8, true})) << "beyond last_seq: reset";
    EXPECT_EQ(*gap_for(state, kSeqMiddle), (Gap{kSeqMiddle, 8, true}));
    EXPECT_EQ(*gap_for(state, kSeqMax), (Gap{kSeqMax, 8, true})) << "no wrap at 2^64 - 1";
    EXPECT_EQ(*gap_for(ChannelState{"c", 4, 3}, kSeqMax), (Gap{kSeqMax, 4, true}));
    EXPECT_EQ(*gap_for(ChannelState{"c", 0, 0}, 1), (Gap{1, 1, true}));
    EXPECT_TRUE(ChannelState({"c", 1, 1}).has_history());
    EXPECT_FALSE(ChannelState({"c", 4, 3}).has_history());
}

}  // namespace
}  // namespace herald::storage
