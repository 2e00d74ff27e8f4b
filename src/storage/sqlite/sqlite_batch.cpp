// The writer thread's commits: group commit of appends into the tail.

#include <unordered_map>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <boost/asio/post.hpp>

#include "storage/sqlite/sqlite_connections.hpp"
#include "storage/sqlite/sqlite_log.hpp"
#include "util/clock.hpp"

namespace herald::storage {

using sqlite::run;

void SqliteLog::flush() {
    if (pending_.empty()) return;
    // Whole caller batches, up to about max_batch messages in one transaction.
    std::size_t taken = 0;
    std::size_t messages = 0;
    while (taken < pending_.size() &&
           (messages == 0 || messages + pending_[taken].requests.size() <= options_.max_batch)) {
        messages += pending_[taken++].requests.size();
    }
    std::vector<Pending> batch(
            std::make_move_iterator(pending_.begin()),
            std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(taken)));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(taken));

    std::vector<std::vector<AppendResult>> results(batch.size());
    for (std::size_t b = 0; b < batch.size(); ++b)
        results[b].resize(batch[b].requests.size());
    std::vector<StoredMessage> committed;
    committed.reserve(messages);
    ChannelStates before;                                            // to undo on rollback
    std::unordered_map<std::string, const AppendResult*> batch_ids;  // "channel\0id" -> first
    const std::int64_t dedupe_from = unix_millis() - options_.retention.dedupe_window.count();
    const std::size_t tail_before = tail_rows_.size();

    bool ok = run(writer_->begin);
    for (std::size_t b = 0; ok && b < batch.size(); ++b) {
        for (std::size_t i = 0; ok && i < batch[b].requests.size(); ++i) {
            ok = store(batch[b].requests[i], results[b][i], before, batch_ids, dedupe_from,
                       committed);
        }
    }
    ok = ok && run(writer_->commit);

    if (!ok) {
        spdlog::error("storage: commit of {} appends failed: {}; rolling back", messages,
                      writer_->db.error_message());
        (void)run(writer_->rollback);
        for (auto& [name, state] : before)
            states_[name] = state;
        tail_rows_.resize(tail_before);
        for (auto& list : results) {
            for (auto& result : list)
                result = AppendResult{};  // status failed
        }
        committed.clear();
        outbox_committed_.clear();
    }
    writer_healthy_.store(ok, std::memory_order_relaxed);
    publish_to_view(committed);
    // The dispatcher hears of new events before any publisher hears "stored".
    if (!outbox_committed_.empty()) {
        if (outbox_listener_) outbox_listener_(std::move(outbox_committed_));
        outbox_committed_.clear();
    }
    for (std::size_t b = 0; b < batch.size(); ++b)
        batch[b].done(std::move(results[b]));
    if (listener_ && !committed.empty()) listener_(std::move(committed));
    if (tail_rows_.size() >= options_.index_rows) start_move();
    restart_wal();
}

bool SqliteLog::store(AppendRequest& request, AppendResult& result, ChannelStates& before,
                      std::unordered_map<std::string, const AppendResult*>& batch_ids,
                      std::int64_t dedupe_from, std::vector<StoredMessage>& committed) {
    Writer& w = *writer_;
    if (request.client_id) {
        std::string key = request.channel + '\0' + request.id;
        if (auto it = batch_ids.find(key); it != batch_ids.end()) {
            result = *it->second;
            result.status = AppendStatus::duplicate;
            return true;
        }
        sqlite::StatementScope find(w.find_id);
        find->bind(1, request.channel).bind(2, request.id).bind(3, dedupe_from);
        if (find->step() == SQLITE_ROW) {
            result = AppendResult{AppendStatus::duplicate, static_cast<Seq>(find->column_int(0)),
                                  request.id, find->column_int(1)};
            return true;
        }
        batch_ids.emplace(std::move(key), &result);
    }
    auto entry = states_.try_emplace(request.channel).first;
    ChannelState& state = entry->second;
    if (!before.contains(request.channel)) before.emplace(request.channel, state);
    if (state.channel.empty()) state.channel = request.channel;
    const Seq seq = state.last_seq + 1;
    {
        sqlite::StatementScope insert(w.insert_tail);
        insert->bind(1, request.channel).bind(2, static_cast<std::int64_t>(seq));
        insert->bind(3, request.id).bind(4, request.event).bind(5, request.data);
        insert->bind(6, request.time);
        if (insert->step() != SQLITE_DONE) return false;
    }
    tail_rows_.push_back(TailRow{w.db.last_insert_rowid(), &entry->first, seq});
    if (request.client_id) {
        sqlite::StatementScope insert(w.insert_id);
        insert->bind(1, request.channel).bind(2, request.id);
        insert->bind(3, static_cast<std::int64_t>(seq)).bind(4, request.time);
        if (insert->step() != SQLITE_DONE) return false;
    }
    state.last_seq = seq;
    if (state.first_seq == 0) state.first_seq = seq;
    result = AppendResult{AppendStatus::stored, seq, request.id, request.time};
    committed.push_back(StoredMessage{std::move(request.channel), seq, std::move(request.id),
                                      std::move(request.event), std::move(request.data),
                                      request.time});
    // The events this message causes, in the same transaction (transactional outbox).
    return !router_ || route_events(committed.back());
}

void SqliteLog::restart_wal() {
    constexpr int kRestartFrames = 4096;  // 16 MiB of 4 KiB pages
    if (wal_frames_ < kRestartFrames) return;
    wal_frames_ = 0;
    sqlite3_wal_checkpoint_v2(writer_->db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
}

void SqliteLog::publish_to_view(const std::vector<StoredMessage>& committed) {
    if (committed.empty()) return;
    std::lock_guard lock(view_mutex_);
    for (const StoredMessage& message : committed) {
        ChannelView& view = view_[message.channel];
        view.tail.push_back(message);
        view.state = states_[message.channel];
    }
}

}  // namespace herald::storage
