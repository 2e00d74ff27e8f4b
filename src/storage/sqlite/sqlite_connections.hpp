#pragma once

// Private to the sqlite backend: the prepared statements of each kind of connection.

#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_log.hpp"

namespace herald::storage {

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
          move_tail(db,
                    "INSERT INTO messages(channel, seq, id, event, data, time) "
                    "SELECT channel, seq, id, event, data, time FROM tail WHERE rowid <= ?1 "
                    "ORDER BY channel, seq"),
          clear_tail(db, "DELETE FROM tail WHERE rowid <= ?1"),
          upsert_channel(db,
                         "INSERT INTO channels(name, first_seq, last_seq) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT(name) DO UPDATE SET first_seq = excluded.first_seq, "
                         "last_seq = excluded.last_seq"),
          trim_channel(db, "DELETE FROM messages WHERE channel = ?1 AND seq < ?2"),
          expired(db, "SELECT channel, MAX(seq) FROM messages WHERE time < ?1 GROUP BY channel"),
          expire_ids(db, "DELETE FROM publish_ids WHERE time < ?1") {}

    sqlite::Database db;
    sqlite::Statement begin, commit, rollback;
    sqlite::Statement insert_tail, find_id, insert_id;
    sqlite::Statement move_tail, clear_tail, upsert_channel, trim_channel;
    sqlite::Statement expired, expire_ids;
};

struct SqliteLog::Reader {
    explicit Reader(const std::string& path)
        : db(path, true),
          messages(db,
                   "SELECT seq, id, event, data, time FROM messages "
                   "WHERE channel = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4"),
          ping(db, "SELECT 1") {}

    sqlite::Database db;
    sqlite::Statement messages, ping;
};

}  // namespace herald::storage
