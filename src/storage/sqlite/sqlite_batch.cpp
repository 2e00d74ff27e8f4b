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
    std::vector<Pending> batch;
    if (pending_.size() <= options_.max_batch) {
        batch.swap(pending_);
    } else {
        auto cut = pending_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(cut));
        pending_.erase(pending_.begin(), cut);
    }

    Writer& w = *writer_;
    std::vector<AppendResult> results(batch.size());
    std::vector<StoredMessage> committed;
    committed.reserve(batch.size());
    std::unordered_map<std::string, ChannelState> before;  // to undo on rollback
    std::unordered_map<std::string, std::size_t> batch_ids;  // "channel\0id" -> index
    const std::int64_t dedupe_from = unix_millis() - options_.retention.dedupe_window.count();

    bool ok = run(w.begin);
    for (std::size_t i = 0; ok && i < batch.size(); ++i) {
        AppendRequest& request = batch[i].request;
        AppendResult& result = results[i];
        if (request.client_id) {
            std::string key = request.channel + '\0' + request.id;
            if (auto it = batch_ids.find(key); it != batch_ids.end()) {
                result = results[it->second];
                result.status = AppendStatus::duplicate;
                continue;
            }
            sqlite::StatementScope find(w.find_id);
            find->bind(1, request.channel).bind(2, request.id).bind(3, dedupe_from);
            if (find->step() == SQLITE_ROW) {
                result = AppendResult{AppendStatus::duplicate,
                                      static_cast<Seq>(find->column_int(0)), request.id,
                                      find->column_int(1)};
                continue;
            }
            batch_ids.emplace(std::move(key), i);
        }
        ChannelState& state = states_[request.channel];
        if (!before.contains(request.channel)) before.emplace(request.channel, state);
        state.channel = request.channel;
        const Seq seq = state.last_seq + 1;
        {
            sqlite::StatementScope insert(w.insert_message);
            insert->bind(1, request.channel).bind(2, static_cast<std::int64_t>(seq));
            insert->bind(3, request.id).bind(4, request.event).bind(5, request.data);
            insert->bind(6, request.time);
            ok = insert->step() == SQLITE_DONE;
        }
        if (ok && request.client_id) {
            sqlite::StatementScope insert(w.insert_id);
            insert->bind(1, request.channel).bind(2, request.id);
            insert->bind(3, static_cast<std::int64_t>(seq)).bind(4, request.time);
            ok = insert->step() == SQLITE_DONE;
        }
        if (!ok) break;
        state.last_seq = seq;
        if (state.first_seq == 0) state.first_seq = seq;
        result = AppendResult{AppendStatus::stored, seq, request.id, request.time};
        committed.push_back(StoredMessage{request.channel, seq, std::move(request.id),
                                          std::move(request.event), std::move(request.data),
                                          request.time});
    }

    const Seq max = options_.retention.max_messages;
    for (auto it = before.begin(); ok && it != before.end(); ++it) {
        ChannelState& state = states_[it->first];
        if (state.last_seq - state.first_seq + 1 > max + trim_slack(max)) {
            const Seq new_first = state.last_seq - max + 1;
            sqlite::StatementScope trim(w.trim_channel);
            trim->bind(1, state.channel).bind(2, static_cast<std::int64_t>(new_first));
            ok = trim->step() == SQLITE_DONE;
            state.first_seq = new_first;
        }
        sqlite::StatementScope upsert(w.upsert_channel);
        upsert->bind(1, state.channel).bind(2, static_cast<std::int64_t>(state.first_seq));
        upsert->bind(3, static_cast<std::int64_t>(state.last_seq));
        ok = ok && upsert->step() == SQLITE_DONE;
    }
    ok = ok && run(w.commit);

    if (!ok) {
        spdlog::error("storage: commit of {} appends failed: {}; rolling back", batch.size(),
                      w.db.error_message());
        (void)run(w.rollback);
        for (auto& [name, state] : before) states_[name] = state;
        for (auto& result : results) result = AppendResult{};  // status failed
        committed.clear();
    }
    writer_healthy_.store(ok, std::memory_order_relaxed);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
    if (listener_ && !committed.empty()) listener_(std::move(committed));
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
