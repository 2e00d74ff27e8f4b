#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "storage/message_log.hpp"
#include "storage/outbox.hpp"
#include "storage/sqlite/sqlite_db.hpp"

namespace herald::storage {

struct SqliteOptions {
    std::string directory = "./data";  // holds herald.db and its WAL
    bool fsync_always = false;         // synchronous=FULL: survive power loss, not only a crash
    RetentionPolicy retention;
    std::size_t max_batch = 4096;  // appends per transaction, about (whole batches only)
    /// How often committed messages move from the append-only `tail` table into the
    /// per-channel `messages` table, and how many rows one move takes at most: moves are
    /// interleaved with commits, so none holds the writer for long.
    std::chrono::milliseconds index_interval{100};
    std::size_t index_rows = 2'000;
    /// Fault injection for tests (storage.fail_reads): reads of history.db for the channels
    /// whose name starts with this prefix fail as a disk error would. Empty: none.
    std::string fail_reads_of;
};

/// The default log: two SQLite files in WAL mode. `herald.db` takes every commit; `history.db`
/// keeps each channel's history, keyed by channel and seq.
///
/// Thread: one writer thread assigns seqs and commits in batches (group commit: a batch is
/// whatever arrived while the previous commit ran). Commits append to the `tail` table of
/// herald.db, which touches one or two pages whatever the channels are. A mover thread copies
/// the tail into history.db in bulk chunks; only then does the writer delete those tail rows.
/// Measured: with publishes spread over 64 channels, a commit straight into a per-channel table
/// dirtied a page per channel and halved throughput, and bulk moves inside herald.db held
/// publishers for up to 22 ms (docs/ARCHITECTURE.md). Committed rows not yet moved are kept in
/// memory (`view_`), so readers on any thread see both parts; reads of older history use pooled
/// read-only connections to history.db.
///
/// It is also the webhook outbox (storage/outbox.hpp): events and endpoints live in herald.db,
/// and the events a message causes are inserted by the writer in the message's transaction.
class SqliteLog final : public MessageLog, public Outbox {
public:
    explicit SqliteLog(SqliteOptions options);  // throws when the database cannot be opened
    ~SqliteLog() override;

    void set_commit_listener(CommitListener listener) override;
    void append_batch(std::vector<AppendRequest> requests, BatchCompletion done) override;
    /// What is still in the in-memory tail is answered before `read` returns; rows already moved
    /// to history.db are read on the reader pool, which calls `done`.
    void read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
              ReadCompletion done) override;
    /// Both answer before they return: the state is in memory.
    void channel(std::string_view channel, StateCompletion done) override;
    void channels(std::string_view prefix, ListCompletion done) override;
    void check_ready(std::function<void(bool)> done) override;
    void close() override;

    // Outbox (sqlite_outbox.cpp).
    void set_outbox_router(Router router) override;
    void set_outbox_listener(Listener listener) override;
    void enqueue_events(std::vector<OutboxEvent> events) override;
    std::vector<OutboxEvent> pending_events() override;
    void pending_for(std::string endpoint_id, std::int64_t after_row, std::size_t limit,
                     std::function<void(std::vector<OutboxEvent>)> done) override;
    void count_pending(std::string endpoint_id, std::int64_t after_row,
                       std::function<void(std::size_t)> done) override;
    void record_attempts(std::vector<AttemptOutcome> outcomes) override;
    void recent_attempts(std::string endpoint_id, std::size_t limit,
                         std::function<void(std::vector<DeliveryAttempt>)> done) override;
    std::vector<EndpointRecord> endpoints() override;
    void save_endpoint(EndpointRecord endpoint, std::function<void(bool)> done) override;
    void delete_endpoint(std::string id, std::function<void(bool)> done) override;
    void disable_endpoint(std::string id) override;

private:
    struct Writer;
    struct Mover;
    struct Reader;
    struct Pending {
        std::vector<AppendRequest> requests;
        BatchCompletion done;
    };
    /// What readers may see of a channel: its position and its committed, unmoved messages.
    struct ChannelView {
        ChannelState state;
        std::deque<StoredMessage> tail;  // seq ascending
    };
    using ChannelStates = std::unordered_map<std::string, ChannelState>;

    // Start-up.
    void recover();

    // Writer thread only.
    void enqueue(Pending pending);
    void schedule_flush();
    void flush();
    /// Inserts one message of the open transaction; false when SQLite failed.
    bool store(AppendRequest& request, AppendResult& result, ChannelStates& before,
               std::unordered_map<std::string, const AppendResult*>& batch_ids,
               std::int64_t dedupe_from, std::vector<StoredMessage>& committed);
    void publish_to_view(const std::vector<StoredMessage>& committed);
    /// Inserts the outbox events the router makes of `message`, in the open transaction.
    bool route_events(const StoredMessage& message);
    /// Inserts one event in the open transaction and sets its row.
    bool insert_event(OutboxEvent& event);
    /// Applies the queued attempt outcomes in one transaction.
    void flush_outcomes();
    /// Runs `work(db)` inside BEGIN..COMMIT on the writer thread; false (rolled back) on error.
    template <class Work>
    bool in_transaction(Work&& work);
    /// Checkpoints the few frames the checkpointer has not copied yet, so that the next
    /// transaction starts the WAL over instead of growing it.
    void restart_wal();
    void schedule_maintenance();

    /// The oldest tail rows on their way to history.db, and the channels to trim meanwhile.
    struct MoveJob {
        std::int64_t last_rowid = 0;
        std::unordered_map<const std::string*, Seq> newest;  // channel -> newest seq moved
        std::vector<std::pair<std::string, Seq>> trims;      // channel -> new first seq
    };
    /// Builds a job for the oldest `index_rows` tail rows; trims are decided here.
    MoveJob next_move();
    /// Hands the next chunk to the mover, unless one is on its way.
    void start_move();
    /// The mover is done with `job`: deletes its tail rows, saves positions, updates the view.
    void finish_move(const MoveJob& job, bool moved);
    /// Moves the whole tail now, on the calling thread (start-up).
    void move_whole_tail();
    /// Retention by age came back from the mover: channel -> new first seq.
    void finish_expiry(const std::vector<std::pair<std::string, Seq>>& trimmed);
    /// Saves `states_` of `names` within the open transaction.
    bool save_positions(const std::vector<const std::string*>& names);

    // Mover thread only (and start-up).
    /// Copies the job's tail rows into history.db and trims; false when SQLite failed.
    bool move_rows(const MoveJob& job);
    /// Deletes history older than max_age: channel -> new first seq.
    std::vector<std::pair<std::string, Seq>> expire_history(std::int64_t cutoff);

    /// A read's part decided under the view's lock: the cursor, the gap, the tail's messages.
    struct ReadPlan;
    /// Reads history.db's rows of a plan (a reader pool thread), then completes it.
    void read_rows(ReadPlan& plan);
    static ReadResult complete(ReadPlan& plan, std::vector<StoredMessage> rows);
    std::unique_ptr<Reader> checkout_reader();
    void checkin_reader(std::unique_ptr<Reader> reader);
    /// History readers may see: trimmed to max_messages even before rows are deleted.
    ChannelState visible(ChannelState state) const;

    SqliteOptions options_;
    std::string path_;
    CommitListener listener_;

    boost::asio::io_context writer_context_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> writer_work_{
            writer_context_.get_executor()};
    boost::asio::steady_timer maintenance_timer_{writer_context_};
    std::unique_ptr<Writer> writer_;  // writer thread only
    ChannelStates states_;            // writer thread only: the truth
    /// A row of the `tail` table, oldest first. Writer thread only.
    struct TailRow {
        std::int64_t rowid;
        const std::string* channel;  // a key of states_: stable while the map lives
        Seq seq;
    };
    std::deque<TailRow> tail_rows_;  // writer thread only
    bool move_in_flight_ = false;    // writer thread only
    bool expiry_in_flight_ = false;  // writer thread only
    int wal_frames_ = 0;             // writer thread only: WAL size after a commit
    std::vector<Pending> pending_;   // writer thread only
    Router router_;                  // set before the first append; runs on the writer
    Listener outbox_listener_;
    std::vector<OutboxEvent> outbox_committed_;          // writer thread only: this commit's events
    std::vector<AttemptOutcome> outcomes_;               // writer thread only: waiting to be saved
    bool outcomes_scheduled_ = false;                    // writer thread only
    bool flush_scheduled_ = false;                       // writer thread only
    bool closing_ = false;                               // writer thread only: no more maintenance
    std::chrono::steady_clock::time_point next_expiry_;  // writer thread only
    std::atomic<bool> writer_healthy_{true};
    std::thread writer_thread_;
    std::unique_ptr<class Checkpointer> checkpointer_;

    std::string history_path_;
    boost::asio::io_context mover_context_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> mover_work_{
            mover_context_.get_executor()};
    std::unique_ptr<Mover> mover_;  // mover thread only
    std::thread mover_thread_;

    mutable std::mutex view_mutex_;  // held for copies only, never during I/O
    std::map<std::string, ChannelView, std::less<>> view_;

    std::mutex readers_mutex_;  // held only to take or return a connection
    std::vector<std::unique_ptr<Reader>> idle_readers_;
    // Reads of history.db run here, never on the asking thread (a shard): two threads, so one
    // long replay does not hold every other read back.
    boost::asio::thread_pool reader_pool_{2};
};

}  // namespace herald::storage
