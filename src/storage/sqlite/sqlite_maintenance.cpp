// The writer thread's housekeeping: moving the tail into per-channel history, retention.

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <boost/asio/post.hpp>

#include "storage/sqlite/sqlite_connections.hpp"
#include "storage/sqlite/sqlite_log.hpp"
#include "util/clock.hpp"

namespace herald::storage {

using sqlite::run;

void SqliteLog::schedule_maintenance() {
    maintenance_timer_.expires_after(options_.index_interval);
    maintenance_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || closing_) return;
        if (!tail_rows_.empty()) schedule_tail_moves();
        if (std::chrono::steady_clock::now() >= next_expiry_) {
            expire();
            next_expiry_ = std::chrono::steady_clock::now() + options_.retention.sweep_interval;
        }
        schedule_maintenance();
    });
}

bool SqliteLog::save_positions(const std::vector<const std::string*>& names) {
    Writer& w = *writer_;
    for (const std::string* name : names) {
        const ChannelState& state = states_[*name];
        sqlite::StatementScope upsert(w.upsert_channel);
        upsert->bind(1, *name).bind(2, static_cast<std::int64_t>(state.first_seq));
        upsert->bind(3, static_cast<std::int64_t>(state.last_seq));
        if (upsert->step() != SQLITE_DONE) return false;
    }
    return true;
}

void SqliteLog::schedule_tail_moves() {
    if (std::exchange(moves_scheduled_, true)) return;
    // Posted: commits already waiting run first, and between chunks.
    boost::asio::post(writer_context_, [this] {
        moves_scheduled_ = false;
        if (move_tail_chunk() && tail_rows_.size() >= options_.index_rows) schedule_tail_moves();
    });
}

void SqliteLog::move_whole_tail() {
    while (!tail_rows_.empty() && move_tail_chunk()) {
    }
}

bool SqliteLog::move_tail_chunk() {
    if (tail_rows_.empty()) return true;
    Writer& w = *writer_;
    const std::size_t count = std::min(tail_rows_.size(), options_.index_rows);
    const std::int64_t last_rowid = tail_rows_[count - 1].rowid;
    std::unordered_map<const std::string*, Seq> moved;  // channel -> newest seq moved
    for (std::size_t i = 0; i < count; ++i)
        moved[tail_rows_[i].channel] = tail_rows_[i].seq;

    ChannelStates before;
    std::vector<const std::string*> names;
    const Seq max = options_.retention.max_messages;
    bool ok = run(w.begin);
    if (ok) {
        sqlite::StatementScope move(w.move_tail);
        move->bind(1, last_rowid);
        ok = move->step() == SQLITE_DONE;
    }
    if (ok) {
        sqlite::StatementScope clear(w.clear_tail);
        clear->bind(1, last_rowid);
        ok = clear->step() == SQLITE_DONE;
    }
    for (auto it = moved.begin(); ok && it != moved.end(); ++it) {
        names.push_back(it->first);
        ChannelState& state = states_[*it->first];
        // Trim once a few extra rows piled up: one DELETE per many appends. Readers never see
        // the extra rows (visible()).
        if (state.last_seq - state.first_seq + 1 > max + std::max<Seq>(1, max / 8)) {
            before.emplace(*it->first, state);
            const Seq new_first = state.last_seq - max + 1;
            sqlite::StatementScope trim(w.trim_channel);
            trim->bind(1, *it->first).bind(2, static_cast<std::int64_t>(new_first));
            ok = trim->step() == SQLITE_DONE;
            state.first_seq = new_first;
        }
    }
    ok = ok && save_positions(names) && run(w.commit);
    if (!ok) {
        spdlog::error("storage: moving {} recent messages failed: {}; will retry", count,
                      w.db.error_message());
        (void)run(w.rollback);
        for (auto& [name, state] : before)
            states_[name] = state;
        writer_healthy_.store(false, std::memory_order_relaxed);
        return false;
    }
    tail_rows_.erase(tail_rows_.begin(), tail_rows_.begin() + static_cast<std::ptrdiff_t>(count));
    // Those rows are in `messages` now: readers find them there.
    std::lock_guard lock(view_mutex_);
    for (const auto& [name, newest] : moved) {
        ChannelView& view = view_[*name];
        while (!view.tail.empty() && view.tail.front().seq <= newest)
            view.tail.pop_front();
        view.state = states_[*name];
    }
    return true;
}

void SqliteLog::expire() {
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
    ChannelStates before;
    std::vector<const std::string*> changed;
    for (const auto& [name, newest_expired] : expired) {
        if (!ok) break;
        auto entry = states_.try_emplace(name).first;
        ChannelState& state = entry->second;
        before.emplace(name, state);
        // Delete up to the newest expired seq: retained history stays one contiguous range.
        const Seq new_first = newest_expired + 1;
        sqlite::StatementScope trim(w.trim_channel);
        trim->bind(1, name).bind(2, static_cast<std::int64_t>(new_first));
        ok = trim->step() == SQLITE_DONE;
        state.first_seq = std::max(state.first_seq, new_first);
        changed.push_back(&entry->first);
    }
    ok = ok && save_positions(changed);
    if (ok) {
        sqlite::StatementScope expire_ids(w.expire_ids);
        expire_ids->bind(1, now - options_.retention.dedupe_window.count());
        ok = expire_ids->step() == SQLITE_DONE;
    }
    ok = ok && run(w.commit);
    if (!ok) {
        spdlog::error("storage: retention sweep failed: {}; will retry", w.db.error_message());
        (void)run(w.rollback);
        for (auto& [name, state] : before)
            states_[name] = state;
        return;
    }
    std::lock_guard lock(view_mutex_);
    for (const std::string* name : changed)
        view_[*name].state = states_[*name];
}

}  // namespace herald::storage
