// Housekeeping: moving the tail of herald.db into history.db, and retention.
// The writer decides (what to move, what to trim) and keeps positions; the mover does the
// heavy writes in history.db, so that commits never wait for them.

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
        if (!tail_rows_.empty()) start_move();
        if (!expiry_in_flight_ && std::chrono::steady_clock::now() >= next_expiry_) {
            expiry_in_flight_ = true;
            const std::int64_t cutoff = unix_millis() - options_.retention.max_age.count();
            boost::asio::post(mover_context_, [this, cutoff] {
                auto trimmed = expire_history(cutoff);
                boost::asio::post(writer_context_,
                                  [this, trimmed = std::move(trimmed)] { finish_expiry(trimmed); });
            });
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

SqliteLog::MoveJob SqliteLog::next_move() {
    MoveJob job;
    const std::size_t count = std::min(tail_rows_.size(), options_.index_rows);
    job.last_rowid = tail_rows_[count - 1].rowid;
    for (std::size_t i = 0; i < count; ++i)
        job.newest[tail_rows_[i].channel] = tail_rows_[i].seq;
    const Seq max = options_.retention.max_messages;
    for (const auto& [name, newest] : job.newest) {
        ChannelState& state = states_[*name];
        // Trim once a few extra rows piled up: one DELETE per many appends. Readers never see
        // the extra rows (visible()).
        if (state.last_seq - state.first_seq + 1 > max + std::max<Seq>(1, max / 8)) {
            state.first_seq = state.last_seq - max + 1;
            job.trims.emplace_back(*name, state.first_seq);
        }
    }
    return job;
}

void SqliteLog::start_move() {
    if (move_in_flight_ || tail_rows_.empty()) return;
    move_in_flight_ = true;
    boost::asio::post(mover_context_, [this, job = next_move()]() mutable {
        const bool moved = move_rows(job);
        boost::asio::post(writer_context_, [this, job = std::move(job), moved] {
            finish_move(job, moved);
            if (tail_rows_.size() >= options_.index_rows) start_move();
        });
    });
}

void SqliteLog::finish_move(const MoveJob& job, bool moved) {
    move_in_flight_ = false;
    if (!moved) return;  // logged by the mover; the rows stay in the tail and go next time
    Writer& w = *writer_;
    std::vector<const std::string*> names;
    for (const auto& [name, newest] : job.newest)
        names.push_back(name);
    bool ok = run(w.begin);
    if (ok) {
        sqlite::StatementScope remove(w.delete_tail);
        remove->bind(1, job.last_rowid);
        ok = remove->step() == SQLITE_DONE;
    }
    ok = ok && save_positions(names) && run(w.commit);
    if (!ok) {
        // history.db has the rows; the next move copies them again, harmlessly.
        spdlog::error("storage: cannot delete moved rows from the tail: {}; will retry",
                      w.db.error_message());
        (void)run(w.rollback);
        return;
    }
    while (!tail_rows_.empty() && tail_rows_.front().rowid <= job.last_rowid)
        tail_rows_.pop_front();
    // Those rows are in history.db now: readers find them there.
    std::lock_guard lock(view_mutex_);
    for (const auto& [name, newest] : job.newest) {
        ChannelView& view = view_[*name];
        while (!view.tail.empty() && view.tail.front().seq <= newest)
            view.tail.pop_front();
        view.state = states_[*name];
    }
}

void SqliteLog::move_whole_tail() {
    while (!tail_rows_.empty()) {
        MoveJob job = next_move();
        const std::size_t before = tail_rows_.size();
        finish_move(job, move_rows(job));
        if (tail_rows_.size() == before) {
            throw std::runtime_error("cannot move recent messages into history: " +
                                     mover_->history.error_message());
        }
    }
}

void SqliteLog::finish_expiry(const std::vector<std::pair<std::string, Seq>>& trimmed) {
    expiry_in_flight_ = false;
    next_expiry_ = std::chrono::steady_clock::now() + options_.retention.sweep_interval;
    Writer& w = *writer_;
    std::vector<const std::string*> names;
    for (const auto& [name, new_first] : trimmed) {
        auto entry = states_.try_emplace(name, ChannelState{name, 0, 0}).first;
        entry->second.first_seq = std::max(entry->second.first_seq, new_first);
        names.push_back(&entry->first);
    }
    bool ok = run(w.begin) && save_positions(names);
    if (ok) {
        sqlite::StatementScope expire_ids(w.expire_ids);
        expire_ids->bind(1, unix_millis() - options_.retention.dedupe_window.count());
        ok = expire_ids->step() == SQLITE_DONE;
    }
    ok = ok && run(w.commit);
    if (!ok) {
        spdlog::error("storage: retention sweep failed: {}; will retry", w.db.error_message());
        (void)run(w.rollback);
    }
    std::lock_guard lock(view_mutex_);
    for (const std::string* name : names)
        view_[*name].state = states_[*name];
}

bool SqliteLog::move_rows(const MoveJob& job) {
    Mover& m = *mover_;
    bool ok = run(m.begin);
    {
        sqlite::StatementScope rows(m.read_tail);
        rows->bind(1, job.last_rowid);
        int rc = SQLITE_ROW;
        while (ok && (rc = rows->step()) == SQLITE_ROW) {
            sqlite::StatementScope insert(m.insert);
            insert->bind(1, rows->column_text(0)).bind(2, rows->column_int(1));
            insert->bind(3, rows->column_text(2)).bind(4, rows->column_text(3));
            insert->bind(5, rows->column_text(4)).bind(6, rows->column_int(5));
            ok = insert->step() == SQLITE_DONE;
        }
        ok = ok && rc == SQLITE_DONE;
    }
    for (auto it = job.trims.begin(); ok && it != job.trims.end(); ++it) {
        sqlite::StatementScope trim(m.trim_channel);
        trim->bind(1, it->first).bind(2, static_cast<std::int64_t>(it->second));
        ok = trim->step() == SQLITE_DONE;
    }
    ok = ok && run(m.commit);
    if (!ok) {
        spdlog::error("storage: copying recent messages into history failed: {} / {}; will retry",
                      m.history.error_message(), m.tail.error_message());
        (void)run(m.rollback);
    }
    return ok;
}

std::vector<std::pair<std::string, Seq>> SqliteLog::expire_history(std::int64_t cutoff) {
    Mover& m = *mover_;
    std::vector<std::pair<std::string, Seq>> expired;
    {
        sqlite::StatementScope rows(m.expired);
        rows->bind(1, cutoff);
        while (rows->step() == SQLITE_ROW) {
            expired.emplace_back(std::string(rows->column_text(0)),
                                 static_cast<Seq>(rows->column_int(1)) + 1);
        }
    }
    if (expired.empty()) return expired;
    bool ok = run(m.begin);
    // Delete up to the newest expired seq: retained history stays one contiguous range.
    for (auto it = expired.begin(); ok && it != expired.end(); ++it) {
        sqlite::StatementScope trim(m.trim_channel);
        trim->bind(1, it->first).bind(2, static_cast<std::int64_t>(it->second));
        ok = trim->step() == SQLITE_DONE;
    }
    ok = ok && run(m.commit);
    if (!ok) {
        spdlog::error("storage: retention sweep failed: {}; will retry", m.history.error_message());
        (void)run(m.rollback);
        expired.clear();
    }
    return expired;
}

}  // namespace herald::storage
