#include "storage/sqlite/sqlite_log.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

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
-- Publisher idempotency keys, kept for the dedupe window even after their message is trimmed.
CREATE TABLE IF NOT EXISTS publish_ids (
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    PRIMARY KEY (channel, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS publish_ids_by_time ON publish_ids(time);
)sql";

}  // namespace

SqliteLog::SqliteLog(SqliteOptions options) : options_(std::move(options)) {
    std::filesystem::create_directories(options_.directory);
    path_ = (std::filesystem::path(options_.directory) / "herald.db").string();
    {
        sqlite::Database setup(path_, false);  // throws when the file cannot be opened
        setup.exec_or_throw("PRAGMA journal_mode = WAL");
        setup.exec_or_throw(kSchema);
    }
    writer_ = std::make_unique<Writer>(path_);
    writer_->db.exec_or_throw(options_.fsync_always ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL");

    sqlite::Statement load(writer_->db, "SELECT name, first_seq, last_seq FROM channels");
    while (load.step() == SQLITE_ROW) {
        std::string name(load.column_text(0));
        states_[name] = ChannelState{name, static_cast<Seq>(load.column_int(1)),
                                     static_cast<Seq>(load.column_int(2))};
    }
    spdlog::info("storage: sqlite {} ({} channels, synchronous={})", path_, states_.size(),
                 options_.fsync_always ? "full" : "normal");

    schedule_sweep();
    writer_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "sqlite-writer");
        writer_context_.run();
    });
}

SqliteLog::~SqliteLog() { close(); }

void SqliteLog::close() {
    if (!writer_thread_.joinable()) return;
    // Posted last: every append posted before it is flushed first.
    net::post(writer_context_, [this] {
        while (!pending_.empty()) flush();
        sweep_timer_.cancel();
        writer_work_.reset();
    });
    writer_thread_.join();
}

void SqliteLog::set_commit_listener(CommitListener listener) { listener_ = std::move(listener); }

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
    return std::make_unique<Reader>(path_);
}

void SqliteLog::checkin_reader(std::unique_ptr<Reader> reader) {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(std::move(reader));
}

ChannelState SqliteLog::visible(ChannelState state) const {
    // Rows past max_messages are deleted in batches; readers never see them meanwhile.
    const Seq max = options_.retention.max_messages;
    if (state.last_seq >= max && state.first_seq + max <= state.last_seq) {
        state.first_seq = state.last_seq - max + 1;
    }
    return state;
}

ReadResult SqliteLog::read(std::string_view channel, std::optional<Seq> after,
                           std::size_t limit) {
    ReadResult result;
    std::unique_ptr<Reader> reader;
    try {
        reader = checkout_reader();
    } catch (const std::exception& error) {
        spdlog::error("storage: cannot open a reader: {}", error.what());
        return result;
    }
    (void)reader->begin.step();  // one snapshot for the channel row and its messages
    reader->begin.reset();
    ChannelState state{std::string(channel), 0, 0};
    {
        sqlite::StatementScope row(reader->channel);
        row->bind(1, channel);
        if (row->step() == SQLITE_ROW) {
            state.first_seq = static_cast<Seq>(row->column_int(0));
            state.last_seq = static_cast<Seq>(row->column_int(1));
        }
    }
    state = visible(state);
    result.last_seq = state.last_seq;
    if (after) result.gap = gap_for(state, *after);
    if (state.has_history() && after.value_or(0) < state.last_seq) {
        const Seq from = std::max<Seq>(after.value_or(0), state.first_seq - 1);
        sqlite::StatementScope rows(reader->messages);
        rows->bind(1, channel).bind(2, static_cast<std::int64_t>(from));
        rows->bind(3, static_cast<std::int64_t>(limit));
        while (rows->step() == SQLITE_ROW) {
            result.messages.push_back(StoredMessage{
                    state.channel, static_cast<Seq>(rows->column_int(0)),
                    std::string(rows->column_text(1)), std::string(rows->column_text(2)),
                    std::string(rows->column_text(3)), rows->column_int(4)});
        }
    }
    (void)reader->end.step();
    reader->end.reset();
    checkin_reader(std::move(reader));
    return result;
}

ChannelState SqliteLog::channel(std::string_view channel) {
    ChannelState state{std::string(channel), 0, 0};
    std::unique_ptr<Reader> reader;
    try {
        reader = checkout_reader();
    } catch (const std::exception& error) {
        spdlog::error("storage: cannot open a reader: {}", error.what());
        return state;
    }
    {
        sqlite::StatementScope row(reader->channel);
        row->bind(1, channel);
        if (row->step() == SQLITE_ROW) {
            state.first_seq = static_cast<Seq>(row->column_int(0));
            state.last_seq = static_cast<Seq>(row->column_int(1));
        }
    }
    checkin_reader(std::move(reader));
    return visible(state);
}

std::vector<ChannelState> SqliteLog::channels(std::string_view prefix) {
    std::vector<ChannelState> result;
    std::unique_ptr<Reader> reader;
    try {
        reader = checkout_reader();
    } catch (const std::exception& error) {
        spdlog::error("storage: cannot open a reader: {}", error.what());
        return result;
    }
    {
        sqlite::StatementScope rows(reader->channels);
        rows->bind(1, prefix);
        while (rows->step() == SQLITE_ROW) {
            std::string_view name = rows->column_text(0);
            if (!name.starts_with(prefix)) break;
            ChannelState state = visible(ChannelState{std::string(name),
                                                      static_cast<Seq>(rows->column_int(1)),
                                                      static_cast<Seq>(rows->column_int(2))});
            if (state.has_history()) result.push_back(std::move(state));
        }
    }
    checkin_reader(std::move(reader));
    return result;
}

bool SqliteLog::ready() {
    if (!writer_healthy_.load(std::memory_order_relaxed)) return false;
    try {
        auto reader = checkout_reader();
        bool ok = false;
        {
            sqlite::StatementScope ping(reader->ping);
            ok = ping->step() == SQLITE_ROW;
        }
        checkin_reader(std::move(reader));
        return ok;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace herald::storage
