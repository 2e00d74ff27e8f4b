// The webhook outbox in herald.db: events, their attempts and the endpoints (storage/outbox.hpp).
// Everything that writes runs on the writer thread, so an event of a message commits with it.

#include <future>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <boost/asio/post.hpp>

#include "storage/sqlite/sqlite_connections.hpp"
#include "storage/sqlite/sqlite_log.hpp"

namespace herald::storage {

namespace net = boost::asio;
using sqlite::run;

namespace {

std::string join_lines(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) {
        if (!text.empty()) text += '\n';
        text += item;
    }
    return text;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        items.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

const char* status_of(AttemptOutcome::Next next) {
    return next == AttemptOutcome::Next::failed ? "failed" : "pending";
}

/// Runs `work` on the writer thread and waits for its result (start-up reads only).
template <class Work>
auto on_thread(net::io_context& context, Work work) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    net::post(context, [&task] { task(); });
    return result.get();
}

}  // namespace

template <class Work>
bool SqliteLog::in_transaction(Work&& work) {
    if (!run(writer_->begin)) return false;
    if (work() && run(writer_->commit)) return true;
    spdlog::error("storage: webhook outbox write failed: {}; rolling back",
                  writer_->db.error_message());
    (void)run(writer_->rollback);
    return false;
}

void SqliteLog::set_outbox_router(Router router) {
    router_ = std::move(router);
}

void SqliteLog::set_outbox_listener(Listener listener) {
    outbox_listener_ = std::move(listener);
}

bool SqliteLog::insert_event(OutboxEvent& event) {
    sqlite::StatementScope insert(writer_->insert_event);
    insert->bind(1, event.webhook_id).bind(2, event.endpoint_id).bind(3, event.type);
    insert->bind(4, event.body).bind(5, static_cast<std::int64_t>(event.attempts));
    insert->bind(6, event.next_attempt).bind(7, event.first_attempt);
    if (insert->step() != SQLITE_DONE) return false;
    event.row = writer_->db.last_insert_rowid();
    return true;
}

bool SqliteLog::route_events(const StoredMessage& message) {
    const std::size_t before = outbox_committed_.size();
    router_(message, outbox_committed_);
    for (std::size_t i = before; i < outbox_committed_.size(); ++i) {
        if (!insert_event(outbox_committed_[i])) return false;
    }
    return true;
}

void SqliteLog::enqueue_events(std::vector<OutboxEvent> events) {
    if (events.empty()) return;
    net::post(writer_context_, [this, events = std::move(events)]() mutable {
        const bool ok = in_transaction([&] {
            for (OutboxEvent& event : events) {
                if (!insert_event(event)) return false;
            }
            return true;
        });
        if (ok && outbox_listener_) outbox_listener_(std::move(events));
    });
}

std::vector<OutboxEvent> SqliteLog::pending_events() {
    return on_thread(writer_context_, [this] {
        std::vector<OutboxEvent> events;
        sqlite::Statement rows(writer_->db,
                               "SELECT row, webhook_id, endpoint_id, type, body, attempts, "
                               "next_attempt, first_attempt FROM webhook_outbox "
                               "WHERE status = 'pending' ORDER BY row");
        while (rows.step() == SQLITE_ROW) {
            events.push_back(OutboxEvent{rows.column_int(0), std::string(rows.column_text(1)),
                                         std::string(rows.column_text(2)),
                                         std::string(rows.column_text(3)),
                                         std::string(rows.column_text(4)),
                                         static_cast<std::uint32_t>(rows.column_int(5)),
                                         rows.column_int(6), rows.column_int(7)});
        }
        return events;
    });
}

void SqliteLog::pending_for(std::string endpoint_id, std::int64_t after_row, std::size_t limit,
                            std::function<void(std::vector<OutboxEvent>)> done) {
    // On the writer: listeners of earlier commits have run, later ones have not.
    net::post(writer_context_, [this, endpoint_id = std::move(endpoint_id), after_row, limit,
                                done = std::move(done)] {
        std::vector<OutboxEvent> events;
        {
            sqlite::StatementScope rows(writer_->select_pending_for);
            rows->bind(1, endpoint_id).bind(2, after_row);
            rows->bind(3, static_cast<std::int64_t>(limit));
            while (rows->step() == SQLITE_ROW) {
                events.push_back(OutboxEvent{rows->column_int(0), std::string(rows->column_text(1)),
                                             std::string(rows->column_text(2)),
                                             std::string(rows->column_text(3)),
                                             std::string(rows->column_text(4)),
                                             static_cast<std::uint32_t>(rows->column_int(5)),
                                             rows->column_int(6), rows->column_int(7)});
            }
        }
        done(std::move(events));
    });
}

void SqliteLog::count_pending(std::string endpoint_id, std::int64_t after_row,
                              std::function<void(std::size_t)> done) {
    net::post(writer_context_,
              [this, endpoint_id = std::move(endpoint_id), after_row, done = std::move(done)] {
                  std::size_t count = 0;
                  {
                      sqlite::StatementScope rows(writer_->count_pending_for);
                      rows->bind(1, endpoint_id).bind(2, after_row);
                      if (rows->step() == SQLITE_ROW) {
                          count = static_cast<std::size_t>(rows->column_int(0));
                      }
                  }
                  done(count);
              });
}

void SqliteLog::record_attempts(std::vector<AttemptOutcome> outcomes) {
    net::post(writer_context_, [this, outcomes = std::move(outcomes)]() mutable {
        for (auto& outcome : outcomes)
            outcomes_.push_back(std::move(outcome));
        if (std::exchange(outcomes_scheduled_, true)) return;
        // After the appends already queued: outcomes of a busy dispatcher share a commit.
        net::post(writer_context_, [this] { flush_outcomes(); });
    });
}

void SqliteLog::flush_outcomes() {
    outcomes_scheduled_ = false;
    if (outcomes_.empty()) return;
    std::vector<AttemptOutcome> outcomes = std::move(outcomes_);
    outcomes_.clear();
    Writer& w = *writer_;
    // Only the newest kAttemptsKeptPerEndpoint attempts of an endpoint can ever be listed: a
    // batch inserts no more than that per endpoint (a backlog drains in large batches), and
    // prunes each endpoint once, at its end.
    std::unordered_map<std::string_view, std::size_t> ahead;  // attempts per endpoint not yet seen
    for (const AttemptOutcome& outcome : outcomes) {
        if (outcome.attempt.attempt != 0) ++ahead[outcome.attempt.endpoint_id];
    }
    (void)in_transaction([&] {
        for (const AttemptOutcome& outcome : outcomes) {
            if (outcome.next == AttemptOutcome::Next::done) {
                sqlite::StatementScope erase(w.delete_event);
                erase->bind(1, outcome.row);
                if (erase->step() != SQLITE_DONE) return false;
            } else {
                sqlite::StatementScope update(w.update_event);
                update->bind(1, outcome.row).bind(2, outcome.attempt.attempt);
                update->bind(3, outcome.next_attempt).bind(4, outcome.first_attempt);
                update->bind(5, status_of(outcome.next));
                if (update->step() != SQLITE_DONE) return false;
            }
            if (outcome.next == AttemptOutcome::Next::failed) {
                sqlite::StatementScope prune(w.prune_failed);
                prune->bind(1, outcome.attempt.endpoint_id)
                        .bind(2, static_cast<std::int64_t>(kFailedEventsKeptPerEndpoint));
                if (prune->step() != SQLITE_DONE) return false;
            }
            const DeliveryAttempt& a = outcome.attempt;
            if (a.attempt == 0) continue;  // dropped without an attempt: nothing to list
            if (ahead[a.endpoint_id]-- > kAttemptsKeptPerEndpoint) continue;  // newer ones follow
            sqlite::StatementScope insert(w.insert_attempt);
            insert->bind(1, a.endpoint_id).bind(2, a.webhook_id).bind(3, a.type);
            insert->bind(4, a.attempt).bind(5, a.status_code).bind(6, a.error);
            insert->bind(7, a.time).bind(8, a.outcome);
            if (insert->step() != SQLITE_DONE) return false;
        }
        for (const auto& [endpoint_id, unused] : ahead) {
            sqlite::StatementScope prune(w.prune_attempts);
            prune->bind(1, endpoint_id)
                    .bind(2, static_cast<std::int64_t>(kAttemptsKeptPerEndpoint));
            if (prune->step() != SQLITE_DONE) return false;
        }
        return true;
    });
}

void SqliteLog::recent_attempts(std::string endpoint_id, std::size_t limit,
                                std::function<void(std::vector<DeliveryAttempt>)> done) {
    net::post(writer_context_, [this, endpoint_id = std::move(endpoint_id), limit,
                                done = std::move(done)] {
        flush_outcomes();  // what the dispatcher already reported is listed
        std::vector<DeliveryAttempt> attempts;
        sqlite::StatementScope rows(writer_->select_attempts);
        rows->bind(1, endpoint_id).bind(2, static_cast<std::int64_t>(limit));
        while (rows->step() == SQLITE_ROW) {
            attempts.push_back(DeliveryAttempt{
                    endpoint_id, std::string(rows->column_text(0)),
                    std::string(rows->column_text(1)),
                    static_cast<std::uint32_t>(rows->column_int(2)),
                    static_cast<int>(rows->column_int(3)), std::string(rows->column_text(4)),
                    rows->column_int(5), std::string(rows->column_text(6))});
        }
        done(std::move(attempts));
    });
}

std::vector<EndpointRecord> SqliteLog::endpoints() {
    return on_thread(writer_context_, [this] {
        std::vector<EndpointRecord> records;
        sqlite::Statement rows(writer_->db,
                               "SELECT id, url, secret, events, channels, from_config, enabled, "
                               "created FROM webhook_endpoints ORDER BY created, id");
        while (rows.step() == SQLITE_ROW) {
            records.push_back(EndpointRecord{
                    std::string(rows.column_text(0)), std::string(rows.column_text(1)),
                    std::string(rows.column_text(2)), split_lines(rows.column_text(3)),
                    split_lines(rows.column_text(4)), rows.column_int(5) != 0,
                    rows.column_int(6) != 0, rows.column_int(7)});
        }
        return records;
    });
}

void SqliteLog::save_endpoint(EndpointRecord endpoint, std::function<void(bool)> done) {
    net::post(writer_context_, [this, endpoint = std::move(endpoint), done = std::move(done)] {
        const bool ok = in_transaction([&] {
            sqlite::StatementScope upsert(writer_->upsert_endpoint);
            upsert->bind(1, endpoint.id).bind(2, endpoint.url).bind(3, endpoint.secret);
            upsert->bind(4, join_lines(endpoint.events)).bind(5, join_lines(endpoint.channels));
            upsert->bind(6, endpoint.from_config ? 1 : 0).bind(7, endpoint.enabled ? 1 : 0);
            upsert->bind(8, endpoint.created);
            return upsert->step() == SQLITE_DONE;
        });
        if (done) done(ok);
    });
}

void SqliteLog::delete_endpoint(std::string id, std::function<void(bool)> done) {
    net::post(writer_context_, [this, id = std::move(id), done = std::move(done)] {
        flush_outcomes();  // outcomes of this endpoint's rows first, so none outlives it
        Writer& w = *writer_;
        const bool ok = in_transaction([&] {
            for (sqlite::Statement* statement :
                 {&w.delete_endpoint, &w.delete_endpoint_events, &w.delete_endpoint_attempts}) {
                sqlite::StatementScope erase(*statement);
                erase->bind(1, id);
                if (erase->step() != SQLITE_DONE) return false;
            }
            return true;
        });
        if (done) done(ok);
    });
}

void SqliteLog::disable_endpoint(std::string id) {
    net::post(writer_context_, [this, id = std::move(id)] {
        flush_outcomes();
        Writer& w = *writer_;
        (void)in_transaction([&] {
            for (sqlite::Statement* statement : {&w.disable_endpoint, &w.delete_endpoint_pending}) {
                sqlite::StatementScope update(*statement);
                update->bind(1, id);
                if (update->step() != SQLITE_DONE) return false;
            }
            return true;
        });
    });
}

}  // namespace herald::storage
