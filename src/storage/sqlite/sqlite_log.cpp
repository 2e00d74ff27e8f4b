#include "storage/sqlite/sqlite_log.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <boost/asio/post.hpp>

#include "storage/sqlite/sqlite_checkpointer.hpp"
#include "storage/sqlite/sqlite_connections.hpp"

namespace herald::storage {

namespace net = boost::asio;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS channels (
    name TEXT PRIMARY KEY,
    first_seq INTEGER NOT NULL,   -- oldest row kept; last_seq + 1 when none is
    last_seq INTEGER NOT NULL     -- never decreases, so seqs are never reused
) WITHOUT ROWID;
-- The newest committed messages in commit order: an append touches the last page only.
-- Durable; deleted once history.db has them. A restart copies what is here first.
CREATE TABLE IF NOT EXISTS tail (
    channel TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    time INTEGER NOT NULL
);
-- Publisher idempotency keys, kept for the dedupe window even after their message is trimmed.
CREATE TABLE IF NOT EXISTS publish_ids (
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    PRIMARY KEY (channel, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS publish_ids_by_time ON publish_ids(time);
-- Webhooks. Endpoints from the admin API and the config file; events and lists are opaque
-- to storage ('\n'-separated names).
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    channels TEXT NOT NULL,
    from_config INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    created INTEGER NOT NULL
) WITHOUT ROWID;
-- The transactional outbox: one row per (event, endpoint), inserted in the transaction of the
-- message it announces; deleted once delivered; status 'failed' when retries ran out.
CREATE TABLE IF NOT EXISTS webhook_outbox (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt INTEGER NOT NULL,
    first_attempt INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_outbox_by_endpoint ON webhook_outbox(endpoint_id);
-- Failed rows only (few): pruning them to kFailedEventsKeptPerEndpoint need not scan pending ones.
CREATE INDEX IF NOT EXISTS webhook_outbox_failed ON webhook_outbox(endpoint_id, row)
    WHERE status = 'failed';
-- The newest attempts per endpoint (kAttemptsKeptPerEndpoint), for the deliveries list.
CREATE TABLE IF NOT EXISTS webhook_attempts (
    endpoint_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    error TEXT NOT NULL,
    time INTEGER NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_endpoint ON webhook_attempts(endpoint_id);
)sql";

// history.db: each channel's messages, filled in bulk from herald.db's `tail`.
constexpr const char* kHistorySchema = R"sql(
CREATE TABLE IF NOT EXISTS messages (
    channel TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    time INTEGER NOT NULL,
    PRIMARY KEY (channel, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages(time);
)sql";

void create(const std::string& path, const char* schema) {
    sqlite::Database setup(path, false);  // throws when the file cannot be opened
    setup.exec_or_throw("PRAGMA journal_mode = WAL");
    setup.exec_or_throw(schema);
}

}  // namespace

SqliteLog::SqliteLog(SqliteOptions options) : options_(std::move(options)) {
    std::filesystem::create_directories(options_.directory);
    path_ = (std::filesystem::path(options_.directory) / "herald.db").string();
    history_path_ = (std::filesystem::path(options_.directory) / "history.db").string();
    create(path_, kSchema);
    create(history_path_, kHistorySchema);
    const char* synchronous =
            options_.fsync_always ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    writer_ = std::make_unique<Writer>(path_);
    writer_->db.exec_or_throw(synchronous);
    mover_ = std::make_unique<Mover>(path_, history_path_);
    mover_->history.exec_or_throw(synchronous);
    recover();
    spdlog::info("storage: sqlite {} ({} channels, synchronous={})", path_, states_.size(),
                 options_.fsync_always ? "full" : "normal");

    writer_->db.exec_or_throw("PRAGMA wal_autocheckpoint = 0");  // the checkpointer's job
    sqlite3_wal_hook(
            writer_->db.handle(),
            [](void* self, sqlite3*, const char*, int frames) {
                static_cast<SqliteLog*>(self)->wal_frames_ = frames;
                return SQLITE_OK;
            },
            this);
    checkpointer_ = std::make_unique<Checkpointer>(path_);
    schedule_maintenance();
    writer_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "sqlite-writer");
        writer_context_.run();
    });
    mover_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "sqlite-mover");
        mover_context_.run();
    });
}

void SqliteLog::recover() {
    sqlite::Statement channels(writer_->db, "SELECT name, first_seq, last_seq FROM channels");
    while (channels.step() == SQLITE_ROW) {
        std::string name(channels.column_text(0));
        states_[name] = ChannelState{name, static_cast<Seq>(channels.column_int(1)),
                                     static_cast<Seq>(channels.column_int(2))};
    }
    // Messages committed to the tail after the last move: their channels' positions may not
    // be saved yet. Take them from the rows, then move the rows.
    sqlite::Statement tail(writer_->db, "SELECT rowid, channel, seq FROM tail ORDER BY rowid");
    while (tail.step() == SQLITE_ROW) {
        std::string name(tail.column_text(1));
        const auto seq = static_cast<Seq>(tail.column_int(2));
        auto [it, added] = states_.try_emplace(name, ChannelState{name, seq, seq});
        ChannelState& state = it->second;
        if (state.first_seq == 0) state.first_seq = seq;
        state.last_seq = std::max(state.last_seq, seq);
        tail_rows_.push_back(TailRow{tail.column_int(0), &it->first, seq});
    }
    for (const auto& [name, state] : states_)
        view_[name].state = state;
    if (!tail_rows_.empty()) {
        spdlog::info("storage: moving {} recent messages into history", tail_rows_.size());
        move_whole_tail();
        if (!tail_rows_.empty()) {
            throw std::runtime_error("cannot move recent messages: " + writer_->db.error_message());
        }
    }
    next_expiry_ = std::chrono::steady_clock::now();
}

SqliteLog::~SqliteLog() {
    close();
}

void SqliteLog::close() {
    reader_pool_.join();  // reads in flight finish first
    if (!writer_thread_.joinable()) return;
    // Posted last: every append posted before it is flushed first. What is still in the tail
    // stays there, durable: the next start copies it into history.db.
    net::post(writer_context_, [this] {
        while (!pending_.empty())
            flush();
        flush_outcomes();
        checkpointer_.reset();
        // A maintenance handler already queued must not arm the timer again.
        closing_ = true;
        maintenance_timer_.cancel();
        writer_work_.reset();
    });
    writer_thread_.join();
    // A chunk the mover is copying completes; its answer to the stopped writer is dropped.
    net::post(mover_context_, [this] { mover_work_.reset(); });
    mover_thread_.join();
}

void SqliteLog::set_commit_listener(CommitListener listener) {
    listener_ = std::move(listener);
}

void SqliteLog::append_batch(std::vector<AppendRequest> requests, BatchCompletion done) {
    net::post(writer_context_,
              [this, pending = Pending{std::move(requests), std::move(done)}]() mutable {
                  enqueue(std::move(pending));
              });
}

void SqliteLog::enqueue(Pending pending) {
    pending_.push_back(std::move(pending));
    schedule_flush();
}

void SqliteLog::schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    // Runs after every append already posted, so those join this batch: while a commit runs,
    // the next batch gathers.
    net::post(writer_context_, [this] {
        flush_scheduled_ = false;
        flush();
        if (!pending_.empty()) schedule_flush();
    });
}

std::unique_ptr<SqliteLog::Reader> SqliteLog::checkout_reader() {
    {
        std::lock_guard lock(readers_mutex_);
        if (!idle_readers_.empty()) {
            auto reader = std::move(idle_readers_.back());
            idle_readers_.pop_back();
            return reader;
        }
    }
    return std::make_unique<Reader>(history_path_);
}

void SqliteLog::checkin_reader(std::unique_ptr<Reader> reader) {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(std::move(reader));
}

ChannelState SqliteLog::visible(ChannelState state) const {
    // Rows past max_messages are deleted when the tail moves; readers never see them meanwhile.
    const Seq max = options_.retention.max_messages;
    if (state.last_seq >= max && state.first_seq + max <= state.last_seq) {
        state.first_seq = state.last_seq - max + 1;
    }
    return state;
}

struct SqliteLog::ReadPlan {
    std::string channel;
    std::optional<Seq> after;
    std::size_t limit = 0;
    ChannelState state;
    std::vector<StoredMessage> recent;  // from the tail, after `from`
    Seq tail_first = 0;                 // every seq below this one has been moved to history.db
    Seq from = 0;  // the read is of seqs after this one; at most last_seq, so nothing wraps
    std::optional<Gap> gap;
    ReadCompletion done;
};

void SqliteLog::read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
                     ReadCompletion done) {
    auto plan = std::make_shared<ReadPlan>();
    plan->channel = std::string(channel);
    plan->after = after;
    plan->limit = limit;
    plan->state = ChannelState{plan->channel, 0, 0};
    plan->done = std::move(done);
    {
        std::lock_guard lock(view_mutex_);
        auto it = view_.find(channel);
        if (it != view_.end()) {
            plan->state = visible(it->second.state);
            const auto& tail = it->second.tail;
            plan->tail_first = tail.empty() ? plan->state.last_seq + 1 : tail.front().seq;
            if (after) plan->gap = gap_for(plan->state, *after);
            const Seq first = plan->state.first_seq;
            plan->from = std::max(cursor_after(after.value_or(0), plan->gap),
                                  first == 0 ? Seq{0} : first - 1);
            for (const StoredMessage& message : tail) {
                if (plan->recent.size() >= limit) break;
                if (message.seq > plan->from) plan->recent.push_back(message);
            }
        } else if (after) {
            plan->gap = gap_for(plan->state, *after);
        }
    }
    if (!plan->state.has_history() || plan->from + 1 >= plan->tail_first) {
        ReadResult result = complete(*plan, {});
        return plan->done(std::move(result));
    }
    net::post(reader_pool_, [this, plan] { read_rows(*plan); });
}

void SqliteLog::read_rows(ReadPlan& plan) {
    std::vector<StoredMessage> rows;
    auto fail = [&](std::string_view why) {
        spdlog::error("storage: reading {} failed: {}", plan.channel, why);
        ReadResult result;
        result.last_seq = plan.state.last_seq;
        result.failed = true;
        plan.done(std::move(result));
    };
    if (!options_.fail_reads_of.empty() && plan.channel.starts_with(options_.fail_reads_of)) {
        return fail("injected fault (storage.fail_reads)");
    }
    try {
        auto reader = checkout_reader();
        int step = SQLITE_DONE;
        {
            sqlite::StatementScope statement(reader->messages);
            statement->bind(1, plan.channel).bind(2, static_cast<std::int64_t>(plan.from));
            statement->bind(3, static_cast<std::int64_t>(plan.tail_first));
            statement->bind(4, static_cast<std::int64_t>(plan.limit));
            while ((step = statement->step()) == SQLITE_ROW) {
                rows.push_back(StoredMessage{
                        plan.channel, static_cast<Seq>(statement->column_int(0)),
                        std::string(statement->column_text(1)),
                        std::string(statement->column_text(2)),
                        std::string(statement->column_text(3)), statement->column_int(4)});
            }
        }
        // The reader's connection may be what is broken: then it is not put back.
        if (step != SQLITE_DONE) return fail(sqlite3_errstr(step));
        checkin_reader(std::move(reader));
    } catch (const std::exception& error) {
        return fail(error.what());
    }
    ReadResult result = complete(plan, std::move(rows));
    plan.done(std::move(result));
}

ReadResult SqliteLog::complete(ReadPlan& plan, std::vector<StoredMessage> rows) {
    ReadResult result;
    result.last_seq = plan.state.last_seq;
    result.gap = plan.gap;
    result.messages = std::move(rows);
    for (auto& message : plan.recent) {
        if (result.messages.size() >= plan.limit) break;
        result.messages.push_back(std::move(message));
    }
    if (!plan.after || (result.gap && result.gap->reset)) return result;
    // Retention may have trimmed rows between the two parts of this read: say so.
    if (!result.messages.empty() && result.messages.front().seq - 1 > plan.from) {
        result.gap = Gap{*plan.after, result.messages.front().seq, false};
    }
    // Or all of them: retention deleted the rows after `from` before this read saw the new
    // first_seq (the mover deletes, then tells the writer). They existed, so they are a gap.
    if (!result.gap && result.messages.empty() && plan.state.last_seq > plan.from) {
        result.gap = Gap{*plan.after, plan.state.last_seq + 1, false};
    }
    return result;
}

void SqliteLog::channel(std::string_view channel, StateCompletion done) {
    ChannelState state{std::string(channel), 0, 0};
    {
        std::lock_guard lock(view_mutex_);
        if (auto it = view_.find(channel); it != view_.end()) state = visible(it->second.state);
    }
    done(std::move(state));  // outside the lock: it may call back into the log
}

void SqliteLog::channels(std::string_view prefix, ListCompletion done) {
    std::vector<ChannelState> result;
    {
        std::lock_guard lock(view_mutex_);
        for (auto it = view_.lower_bound(prefix); it != view_.end(); ++it) {
            if (!it->first.starts_with(prefix)) break;
            ChannelState state = visible(it->second.state);
            if (state.last_seq != 0) result.push_back(std::move(state));
        }
    }
    done(std::move(result));
}

void SqliteLog::check_ready(std::function<void(bool)> done) {
    if (!writer_healthy_.load(std::memory_order_relaxed)) return done(false);
    net::post(reader_pool_, [this, done = std::move(done)] {
        bool ok = false;
        try {
            auto reader = checkout_reader();
            {
                sqlite::StatementScope ping(reader->ping);
                ok = ping->step() == SQLITE_ROW;
            }
            if (ok) checkin_reader(std::move(reader));
        } catch (const std::exception&) {
            ok = false;
        }
        done(ok);
    });
}

}  // namespace herald::storage
