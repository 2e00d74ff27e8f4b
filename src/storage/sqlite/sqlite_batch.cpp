// The writer thread's work: group commit of appends, and the retention sweep.

#include <sqlite3.h>

#include <unordered_map>

#include <spdlog/spdlog.h>

#include "storage/sqlite/sqlite_connections.hpp"
#include "storage/sqlite/sqlite_log.hpp"
#include "util/clock.hpp"

namespace herald::storage {

namespace {

/// Rows past max_messages are deleted once this many extra have piled up: one DELETE per
/// many appends instead of one per append. Readers never see them (SqliteLog::visible).
Seq trim_slack(std::size_t max_messages) { return std::max<Seq>(1, max_messages / 8); }

bool run(sqlite::Statement& statement) {
    sqlite::StatementScope scope(statement);
    return statement.step() == SQLITE_DONE;
}

}  // namespace

void SqliteLog::flush() {
    if (pending_.empty()) return;
    // Whole caller batches, up to about max_batch messages in one transaction.
    std::size_t taken = 0;
    std::size_t messages = 0;
    while (taken < pending_.size() &&
           (messages == 0 || messages + pending_[taken].requests.size() <= options_.max_batch)) {
        messages += pending_[taken++].requests.size();
    }
    std::vector<Pending> batch(std::make_move_iterator(pending_.begin()),
                               std::make_move_iterator(pending_.begin() +
                                                       static_cast<std::ptrdiff_t>(taken)));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(taken));

    std::vector<std::vector<AppendResult>> results(batch.size());
    for (std::size_t b = 0; b < batch.size(); ++b) results[b].resize(batch[b].requests.size());
    std::vector<StoredMessage> committed;
    committed.reserve(messages);
    std::unordered_map<std::string, ChannelState> before;  // to undo on rollback
    std::unordered_map<std::string, const AppendResult*> batch_ids;  // "channel\0id" -> first
    const std::int64_t dedupe_from = unix_millis() - options_.retention.dedupe_window.count();

    bool ok = run(writer_->begin);
    for (std::size_t b = 0; ok && b < batch.size(); ++b) {
        for (std::size_t i = 0; ok && i < batch[b].requests.size(); ++i) {
            ok = store(batch[b].requests[i], results[b][i], before, batch_ids, dedupe_from,
                       committed);
        }
    }
    ok = ok && trim_and_save(before);
    ok = ok && run(writer_->commit);

    if (!ok) {
        spdlog::error("storage: commit of {} appends failed: {}; rolling back", messages,
                      writer_->db.error_message());
        (void)run(writer_->rollback);
        for (auto& [name, state] : before) states_[name] = state;
        for (auto& list : results) {
            for (auto& result : list) result = AppendResult{};  // status failed
        }
        committed.clear();
    }
    writer_healthy_.store(ok, std::memory_order_relaxed);
    for (std::size_t b = 0; b < batch.size(); ++b) batch[b].done(std::move(results[b]));
    if (listener_ && !committed.empty()) listener_(std::move(committed));
}

bool SqliteLog::store(AppendRequest& request, AppendResult& result,
                      std::unordered_map<std::string, ChannelState>& before,
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
    ChannelState& state = states_[request.channel];
    if (!before.contains(request.channel)) before.emplace(request.channel, state);
    if (state.channel.empty()) state.channel = request.channel;
    const Seq seq = state.last_seq + 1;
    {
        sqlite::StatementScope insert(w.insert_message);
        insert->bind(1, request.channel).bind(2, static_cast<std::int64_t>(seq));
        insert->bind(3, request.id).bind(4, request.event).bind(5, request.data);
        insert->bind(6, request.time);
        if (insert->step() != SQLITE_DONE) return false;
    }
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
    return true;
}

bool SqliteLog::trim_and_save(const std::unordered_map<std::string, ChannelState>& touched) {
    Writer& w = *writer_;
    const Seq max = options_.retention.max_messages;
    for (const auto& [name, previous] : touched) {
        ChannelState& state = states_[name];
        if (state.last_seq - state.first_seq + 1 > max + trim_slack(max)) {
            const Seq new_first = state.last_seq - max + 1;
            sqlite::StatementScope trim(w.trim_channel);
            trim->bind(1, state.channel).bind(2, static_cast<std::int64_t>(new_first));
            if (trim->step() != SQLITE_DONE) return false;
            state.first_seq = new_first;
        }
        sqlite::StatementScope upsert(w.upsert_channel);
        upsert->bind(1, state.channel).bind(2, static_cast<std::int64_t>(state.first_seq));
        upsert->bind(3, static_cast<std::int64_t>(state.last_seq));
        if (upsert->step() != SQLITE_DONE) return false;
    }
    return true;
}

void SqliteLog::schedule_sweep() {
    sweep_timer_.expires_after(options_.retention.sweep_interval);
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        sweep();
        schedule_sweep();
    });
}

void SqliteLog::sweep() {
    Writer& w = *writer_;
    const std::int64_t now = unix_millis();
    std::vector<std::pair<std::string, Seq>> expired;
    {
        sqlite::StatementScope rows(w.expired);
        rows->bind(1, now - options_.retention.max_age.count());
        while (rows->step() == SQLITE_ROW) {
            expired.emplace_back(std::string(rows->column_text(0)),
                                 static_cast<Seq>(rows->column_int(1)));
        }
    }
    bool ok = run(w.begin);
    std::unordered_map<std::string, ChannelState> before;
    for (const auto& [name, newest_expired] : expired) {
        if (!ok) break;
        ChannelState& state = states_[name];
        before.emplace(name, state);
        // Delete up to the newest expired seq: retained history stays one contiguous range.
        const Seq new_first = newest_expired + 1;
        {
            sqlite::StatementScope trim(w.trim_channel);
            trim->bind(1, name).bind(2, static_cast<std::int64_t>(new_first));
            ok = trim->step() == SQLITE_DONE;
        }
        state.first_seq = std::max(state.first_seq, new_first);
        sqlite::StatementScope upsert(w.upsert_channel);
        upsert->bind(1, name).bind(2, static_cast<std::int64_t>(state.first_seq));
        upsert->bind(3, static_cast<std::int64_t>(state.last_seq));
        ok = ok && upsert->step() == SQLITE_DONE;
    }
    if (ok) {
        sqlite::StatementScope expire(w.expire_ids);
        expire->bind(1, now - options_.retention.dedupe_window.count());
        ok = expire->step() == SQLITE_DONE;
    }
    ok = ok && run(w.commit);
    if (!ok) {
        spdlog::error("storage: retention sweep failed: {}; will retry", w.db.error_message());
        (void)run(w.rollback);
        for (auto& [name, state] : before) states_[name] = state;
    }
}

}  // namespace herald::storage
