#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "storage/message_log.hpp"
#include "storage/sqlite/sqlite_db.hpp"

namespace herald::storage {

struct SqliteOptions {
    std::string directory = "./data";  // holds herald.db and its WAL
    bool fsync_always = false;         // synchronous=FULL: survive power loss, not only a crash
    RetentionPolicy retention;
    std::size_t max_batch = 4096;      // appends per transaction, about (whole batches only)
};

/// The default log: one SQLite file in WAL mode.
/// Thread: one writer thread assigns seqs and commits in batches (group commit: a batch is
/// whatever arrived while the previous commit ran); reads use pooled read-only connections
/// from any thread, concurrently with the writer (WAL).
class SqliteLog final : public MessageLog {
public:
    explicit SqliteLog(SqliteOptions options);  // throws when the database cannot be opened
    ~SqliteLog() override;

    void set_commit_listener(CommitListener listener) override;
    void append_batch(std::vector<AppendRequest> requests, BatchCompletion done) override;
    ReadResult read(std::string_view channel, std::optional<Seq> after,
                    std::size_t limit) override;
    ChannelState channel(std::string_view channel) override;
    std::vector<ChannelState> channels(std::string_view prefix) override;
    bool ready() override;
    void close() override;

private:
    struct Writer;
    struct Reader;
    struct Pending {
        std::vector<AppendRequest> requests;
        BatchCompletion done;
    };

    // Writer thread only.
    void enqueue(Pending pending);
    void schedule_flush();
    void flush();
    /// Inserts one message of the open transaction; false when SQLite failed.
    bool store(AppendRequest& request, AppendResult& result,
               std::unordered_map<std::string, ChannelState>& before,
               std::unordered_map<std::string, const AppendResult*>& batch_ids,
               std::int64_t dedupe_from, std::vector<StoredMessage>& committed);
    /// Trims channels past max_messages and saves their positions; false when SQLite failed.
    bool trim_and_save(const std::unordered_map<std::string, ChannelState>& touched);
    void schedule_sweep();
    void sweep();

    std::unique_ptr<Reader> checkout_reader();
    void checkin_reader(std::unique_ptr<Reader> reader);
    /// What readers may see: history trimmed to max_messages even before rows are deleted.
    ChannelState visible(ChannelState state) const;

    SqliteOptions options_;
    std::string path_;
    CommitListener listener_;

    boost::asio::io_context writer_context_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> writer_work_{
            writer_context_.get_executor()};
    boost::asio::steady_timer sweep_timer_{writer_context_};
    std::unique_ptr<Writer> writer_;                      // writer thread only
    std::unordered_map<std::string, ChannelState> states_;  // writer thread only
    std::vector<Pending> pending_;                        // writer thread only
    bool flush_scheduled_ = false;                        // writer thread only
    std::atomic<bool> writer_healthy_{true};
    std::thread writer_thread_;

    std::mutex readers_mutex_;  // held only to take or return a connection
    std::vector<std::unique_ptr<Reader>> idle_readers_;
};

}  // namespace herald::storage
