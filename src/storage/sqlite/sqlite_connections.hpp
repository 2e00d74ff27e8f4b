#pragma once

// Private to the sqlite backend: the prepared statements of each kind of connection.

#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_log.hpp"

namespace herald::storage {

/// herald.db, read and written by the writer thread.
struct SqliteLog::Writer {
    explicit Writer(const std::string& path)
        : db(path, false),
          begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          rollback(db, "ROLLBACK"),
          insert_tail(db,
                      "INSERT INTO tail(channel, seq, id, event, data, time) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          find_id(db,
                  "SELECT seq, time FROM publish_ids WHERE channel = ?1 AND id = ?2 "
                  "AND time >= ?3"),
          insert_id(db,
                    "INSERT OR REPLACE INTO publish_ids(channel, id, seq, time) "
                    "VALUES (?1, ?2, ?3, ?4)"),
          delete_tail(db, "DELETE FROM tail WHERE rowid <= ?1"),
          upsert_channel(db,
                         "INSERT INTO channels(name, first_seq, last_seq) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT(name) DO UPDATE SET first_seq = excluded.first_seq, "
                         "last_seq = excluded.last_seq"),
          expire_ids(db, "DELETE FROM publish_ids WHERE time < ?1"),
          insert_event(db,
                       "INSERT INTO webhook_outbox(webhook_id, endpoint_id, type, body, attempts, "
                       "next_attempt, first_attempt, status) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending')"),
          update_event(db,
                       "UPDATE webhook_outbox SET attempts = ?2, next_attempt = ?3, "
                       "first_attempt = ?4, status = ?5 WHERE row = ?1"),
          delete_event(db, "DELETE FROM webhook_outbox WHERE row = ?1"),
          insert_attempt(db,
                         "INSERT INTO webhook_attempts(endpoint_id, webhook_id, type, attempt, "
                         "status_code, error, time, outcome) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
          prune_attempts(db,
                         "DELETE FROM webhook_attempts WHERE endpoint_id = ?1 AND rowid <= "
                         "(SELECT rowid FROM webhook_attempts WHERE endpoint_id = ?1 "
                         "ORDER BY rowid DESC LIMIT 1 OFFSET ?2)"),
          select_attempts(db,
                          "SELECT webhook_id, type, attempt, status_code, error, time, outcome "
                          "FROM webhook_attempts WHERE endpoint_id = ?1 "
                          "ORDER BY rowid DESC LIMIT ?2"),
          upsert_endpoint(db,
                          "INSERT OR REPLACE INTO webhook_endpoints(id, url, secret, events, "
                          "channels, from_config, enabled, created) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
          delete_endpoint(db, "DELETE FROM webhook_endpoints WHERE id = ?1"),
          delete_endpoint_events(db, "DELETE FROM webhook_outbox WHERE endpoint_id = ?1"),
          delete_endpoint_pending(db,
                                  "DELETE FROM webhook_outbox WHERE endpoint_id = ?1 "
                                  "AND status = 'pending'"),
          delete_endpoint_attempts(db, "DELETE FROM webhook_attempts WHERE endpoint_id = ?1"),
          disable_endpoint(db, "UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?1"),
          select_pending_for(db,
                             "SELECT row, webhook_id, endpoint_id, type, body, attempts, "
                             "next_attempt, first_attempt FROM webhook_outbox "
                             "WHERE endpoint_id = ?1 AND row > ?2 AND status = 'pending' "
                             "ORDER BY row LIMIT ?3"),
          count_pending_for(db,
                            "SELECT count(*) FROM webhook_outbox "
                            "WHERE endpoint_id = ?1 AND row > ?2 AND status = 'pending'"),
          prune_failed(db,
                       "DELETE FROM webhook_outbox WHERE endpoint_id = ?1 AND status = 'failed' "
                       "AND row <= (SELECT row FROM webhook_outbox WHERE endpoint_id = ?1 "
                       "AND status = 'failed' ORDER BY row DESC LIMIT 1 OFFSET ?2)") {}

    sqlite::Database db;
    sqlite::Statement begin, commit, rollback;
    sqlite::Statement insert_tail, find_id, insert_id;
    sqlite::Statement delete_tail, upsert_channel, expire_ids;
    // The webhook outbox (sqlite_outbox.cpp).
    sqlite::Statement insert_event, update_event, delete_event;
    sqlite::Statement insert_attempt, prune_attempts, select_attempts;
    sqlite::Statement upsert_endpoint, delete_endpoint, delete_endpoint_events,
            delete_endpoint_pending, delete_endpoint_attempts, disable_endpoint;
    sqlite::Statement select_pending_for, count_pending_for, prune_failed;
};

/// history.db, written by the mover thread; it reads the tail of herald.db.
struct SqliteLog::Mover {
    Mover(const std::string& path, const std::string& history_path)
        : tail(path, true),
          history(history_path, false),
          read_tail(tail,
                    "SELECT channel, seq, id, event, data, time FROM tail WHERE rowid <= ?1 "
                    "ORDER BY channel, seq"),
          begin(history, "BEGIN IMMEDIATE"),
          commit(history, "COMMIT"),
          rollback(history, "ROLLBACK"),
          // OR IGNORE: a crash between the copy and the tail's deletion copies again.
          insert(history,
                 "INSERT OR IGNORE INTO messages(channel, seq, id, event, data, time) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          trim_channel(history, "DELETE FROM messages WHERE channel = ?1 AND seq < ?2"),
          expired(history,
                  "SELECT channel, MAX(seq) FROM messages WHERE time < ?1 GROUP BY channel") {}

    sqlite::Database tail;
    sqlite::Database history;
    sqlite::Statement read_tail;
    sqlite::Statement begin, commit, rollback, insert, trim_channel, expired;
};

/// history.db, read-only, any thread (pooled).
struct SqliteLog::Reader {
    explicit Reader(const std::string& history_path)
        : db(history_path, true),
          messages(db,
                   "SELECT seq, id, event, data, time FROM messages "
                   "WHERE channel = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4"),
          ping(db, "SELECT 1") {}

    sqlite::Database db;
    sqlite::Statement messages, ping;
};

}  // namespace herald::storage
