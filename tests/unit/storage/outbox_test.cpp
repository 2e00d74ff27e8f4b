#include "storage/outbox.hpp"  // first: proves the header is self-contained

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "storage/memory/memory_log.hpp"
#include "storage/sqlite/sqlite_log.hpp"

namespace herald::storage {
namespace {

enum class Backend { memory, sqlite };

std::filesystem::path fresh_temp_dir() {
    std::random_device random;
    auto dir = std::filesystem::temp_directory_path() /
               ("herald-outbox-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
    return dir;
}

AppendRequest request(std::string channel, std::string data) {
    static int counter = 0;
    AppendRequest r;
    r.channel = std::move(channel);
    r.data = std::move(data);
    r.event = "message";
    r.id = "m-" + std::to_string(counter++);
    r.time = 1'700'000'000'000;
    return r;
}

/// Every backend is both log and outbox; the router makes one event per message for each
/// of two endpoints when the channel starts with "hook:".
class OutboxTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override { open(); }
    void TearDown() override {
        outbox_ = nullptr;
        log_.reset();
        std::filesystem::remove_all(dir_);
    }

    void open() {
        if (GetParam() == Backend::memory) {
            auto log = std::make_unique<MemoryLog>(RetentionPolicy{});
            outbox_ = log.get();
            log_ = std::move(log);
        } else {
            SqliteOptions options;
            options.directory = dir_.string();
            auto log = std::make_unique<SqliteLog>(options);
            outbox_ = log.get();
            log_ = std::move(log);
        }
        outbox_->set_outbox_router([](const StoredMessage& message, std::vector<OutboxEvent>& out) {
            if (!message.channel.starts_with("hook:")) return;
            for (const char* endpoint : {"wh_a", "wh_b"}) {
                out.push_back(OutboxEvent{
                        0, "evt_" + message.channel + "_" + std::to_string(message.seq), endpoint,
                        "message.published", message.data, 0, message.time, 0});
            }
        });
        outbox_->set_outbox_listener([this](std::vector<OutboxEvent>&& events) {
            std::lock_guard lock(mutex_);
            for (auto& event : events)
                heard_.push_back(std::move(event));
        });
    }
    void reopen() {
        outbox_ = nullptr;
        log_.reset();
        open();
    }
    void append(AppendRequest r) {
        std::promise<void> done;
        log_->append(std::move(r), [&done](const AppendResult&) { done.set_value(); });
        done.get_future().get();
    }
    std::vector<OutboxEvent> heard() {
        std::lock_guard lock(mutex_);
        return heard_;
    }
    std::vector<DeliveryAttempt> attempts(const std::string& endpoint) {
        std::promise<std::vector<DeliveryAttempt>> done;
        outbox_->recent_attempts(endpoint, 10, [&done](std::vector<DeliveryAttempt> list) {
            done.set_value(std::move(list));
        });
        return done.get_future().get();
    }
    bool wait_heard(std::size_t count) {
        for (int i = 0; i < 200; ++i) {
            if (heard().size() >= count) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    }

    std::filesystem::path dir_ = fresh_temp_dir();
    std::unique_ptr<MessageLog> log_;
    Outbox* outbox_ = nullptr;
    std::mutex mutex_;
    std::vector<OutboxEvent> heard_;
};

TEST_P(OutboxTest, MessageEventsAreStoredWithTheMessageAndHeardAfterCommit) {
    append(request("hook:1", "{\"n\":1}"));
    append(request("other", "{\"n\":2}"));
    append(request("hook:1", "{\"n\":3}"));
    const auto events = heard();
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].webhook_id, "evt_hook:1_1");
    EXPECT_EQ(events[0].endpoint_id, "wh_a");
    EXPECT_EQ(events[1].endpoint_id, "wh_b");
    EXPECT_EQ(events[2].webhook_id, "evt_hook:1_2");
    EXPECT_EQ(events[3].body, "{\"n\":3}");
    for (std::size_t i = 1; i < events.size(); ++i)
        EXPECT_LT(events[i - 1].row, events[i].row);
    EXPECT_EQ(outbox_->pending_events().size(), 4u);
}

TEST_P(OutboxTest, OutcomesDeleteRetryOrFailRows) {
    append(request("hook:1", "{}"));
    append(request("hook:1", "{}"));
    auto events = heard();
    ASSERT_EQ(events.size(), 4u);
    auto outcome = [](const OutboxEvent& e, AttemptOutcome::Next next, int status) {
        return AttemptOutcome{e.row, next, 5000, 1000,
                              DeliveryAttempt{e.endpoint_id, e.webhook_id, e.type, 1, status,
                                              status == 0 ? "connection refused" : "", 1000, "x"}};
    };
    outbox_->record_attempts({outcome(events[0], AttemptOutcome::Next::done, 200),
                              outcome(events[1], AttemptOutcome::Next::retry, 500),
                              outcome(events[2], AttemptOutcome::Next::failed, 0)});
    const auto listed = attempts("wh_a");  // waits for the outcomes to be saved
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].webhook_id, events[2].webhook_id);  // newest first
    EXPECT_EQ(listed[0].error, "connection refused");
    EXPECT_EQ(listed[1].status_code, 200);
    const auto pending = outbox_->pending_events();
    ASSERT_EQ(pending.size(), 2u);  // retrying events[1] and untouched events[3]
    EXPECT_EQ(pending[0].row, events[1].row);
    EXPECT_EQ(pending[0].attempts, 1u);
    EXPECT_EQ(pending[0].next_attempt, 5000);
    EXPECT_EQ(pending[0].first_attempt, 1000);
    EXPECT_EQ(pending[1].row, events[3].row);
}

TEST_P(OutboxTest, EnqueuedEventsGetRowsAndAreHeard) {
    outbox_->enqueue_events({OutboxEvent{0, "evt_x", "wh_a", "channel.occupied", "{}", 0, 1, 0}});
    ASSERT_TRUE(wait_heard(1));
    EXPECT_GT(heard()[0].row, 0);
    EXPECT_EQ(outbox_->pending_events().size(), 1u);
}

TEST_P(OutboxTest, EndpointsAreSavedListedDisabledAndDeletedWithTheirEvents) {
    std::promise<bool> saved;
    outbox_->save_endpoint(EndpointRecord{"wh_a",
                                          "http://h/x",
                                          "whsec_k",
                                          {"message.published", "channel.occupied"},
                                          {"room:*"},
                                          false,
                                          true,
                                          7},
                           [&saved](bool ok) { saved.set_value(ok); });
    ASSERT_TRUE(saved.get_future().get());
    auto list = outbox_->endpoints();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].events, (std::vector<std::string>{"message.published", "channel.occupied"}));
    EXPECT_EQ(list[0].channels, (std::vector<std::string>{"room:*"}));
    EXPECT_TRUE(list[0].enabled);

    append(request("hook:1", "{}"));
    outbox_->disable_endpoint("wh_a");
    (void)attempts("wh_a");  // orders after the disable
    EXPECT_FALSE(outbox_->endpoints()[0].enabled);
    auto pending = outbox_->pending_events();
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].endpoint_id, "wh_b");

    std::promise<bool> deleted;
    outbox_->delete_endpoint("wh_b", [&deleted](bool ok) { deleted.set_value(ok); });
    ASSERT_TRUE(deleted.get_future().get());
    EXPECT_TRUE(outbox_->pending_events().empty());
}

TEST_P(OutboxTest, PendingForReadsOneEndpointAfterARowInPages) {
    for (int i = 0; i < 5; ++i)
        append(request("hook:p", "{}"));
    auto page = [this](std::int64_t after, std::size_t limit) {
        std::promise<std::vector<OutboxEvent>> done;
        outbox_->pending_for("wh_b", after, limit, [&done](std::vector<OutboxEvent> events) {
            done.set_value(std::move(events));
        });
        return done.get_future().get();
    };
    const auto first = page(0, 3);
    ASSERT_EQ(first.size(), 3u);
    for (const auto& event : first)
        EXPECT_EQ(event.endpoint_id, "wh_b");
    const auto rest = page(first.back().row, 10);
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_GT(rest.front().row, first.back().row);
    EXPECT_TRUE(page(rest.back().row, 10).empty());
}

TEST_P(OutboxTest, CountPendingCountsOneEndpointAfterARowWithoutFailedOnes) {
    for (int i = 0; i < 4; ++i)
        append(request("hook:c", "{}"));
    const auto events = heard();
    ASSERT_EQ(events.size(), 8u);
    auto count = [this](const std::string& endpoint, std::int64_t after) {
        std::promise<std::size_t> done;
        outbox_->count_pending(endpoint, after, [&done](std::size_t n) { done.set_value(n); });
        return done.get_future().get();
    };
    EXPECT_EQ(count("wh_a", 0), 4u);
    EXPECT_EQ(count("wh_a", events[2].row), 2u);  // rows after wh_a's second event
    outbox_->record_attempts(
            {AttemptOutcome{events[0].row, AttemptOutcome::Next::failed, 0, 1,
                            DeliveryAttempt{"wh_a", events[0].webhook_id, events[0].type, 1, 500,
                                            "", 1, "failed"}}});
    (void)attempts("wh_a");  // orders after the outcome
    EXPECT_EQ(count("wh_a", 0), 3u);
    EXPECT_EQ(count("wh_b", 0), 4u);
    EXPECT_EQ(count("wh_none", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, OutboxTest,
                         ::testing::Values(Backend::memory, Backend::sqlite), [](const auto& info) {
                             return info.param == Backend::memory ? "memory" : "sqlite";
                         });

class SqliteOutboxTest : public OutboxTest {};

TEST_P(SqliteOutboxTest, PendingEventsAndEndpointsSurviveReopen) {
    append(request("hook:9", "{\"keep\":true}"));
    outbox_->save_endpoint(
            EndpointRecord{
                    "wh_a", "http://h/", "whsec_k", {"message.published"}, {}, true, true, 1},
            nullptr);
    reopen();
    const auto pending = outbox_->pending_events();
    ASSERT_EQ(pending.size(), 2u);
    EXPECT_EQ(pending[0].body, "{\"keep\":true}");
    ASSERT_EQ(outbox_->endpoints().size(), 1u);
    EXPECT_TRUE(outbox_->endpoints()[0].from_config);
    EXPECT_TRUE(outbox_->endpoints()[0].channels.empty());
}

TEST_P(SqliteOutboxTest, OnlyTheNewestFailedEventsOfAnEndpointAreKept) {
    const std::size_t messages = kFailedEventsKeptPerEndpoint + 20;
    for (std::size_t i = 0; i < messages; ++i)
        append(request("hook:f", "{}"));
    const auto events = heard();
    ASSERT_EQ(events.size(), 2 * messages);
    std::vector<AttemptOutcome> outcomes;
    for (const OutboxEvent& e : events) {
        if (e.endpoint_id != "wh_a") continue;  // wh_b's events stay pending
        outcomes.push_back(AttemptOutcome{
                e.row, AttemptOutcome::Next::failed, 0, 1,
                DeliveryAttempt{e.endpoint_id, e.webhook_id, e.type, 30, 500, "", 2, "failed"}});
    }
    outbox_->record_attempts(std::move(outcomes));
    (void)attempts("wh_a");  // orders after the outcomes
    // The database file itself, as an operator would look at it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "herald.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    auto count = [db](const char* sql) {
        sqlite3_stmt* statement = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK);
        EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
        const auto n = sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
        return n;
    };
    EXPECT_EQ(count("SELECT count(*) FROM webhook_outbox WHERE status = 'failed'"),
              static_cast<std::int64_t>(kFailedEventsKeptPerEndpoint));
    EXPECT_EQ(count("SELECT min(row) FROM webhook_outbox WHERE status = 'failed'"),
              events[2 * 20].row)
            << "the oldest 20 failed events went";
    EXPECT_EQ(count("SELECT count(*) FROM webhook_outbox WHERE status = 'pending'"),
              static_cast<std::int64_t>(messages));
    sqlite3_close(db);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteOutboxTest, ::testing::Values(Backend::sqlite));

}  // namespace
}  // namespace herald::storage
