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
          insert_message(db,
                         "INSERT INTO messages(channel, seq, id, event, data, time) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          find_id(db, "SELECT seq, time FROM publish_ids WHERE channel = ?1 AND id = ?2 "
                      "AND time >= ?3"),
          insert_id(db,
                    "INSERT OR REPLACE INTO publish_ids(channel, id, seq, time) "
                    "VALUES (?1, ?2, ?3, ?4)"),
          upsert_channel(db,
                         "INSERT INTO channels(name, first_seq, last_seq) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT(name) DO UPDATE SET first_seq = excluded.first_seq, "
                         "last_seq = excluded.last_seq"),
          trim_channel(db, "DELETE FROM messages WHERE channel = ?1 AND seq < ?2"),
          expired(db, "SELECT channel, MAX(seq) FROM messages WHERE time < ?1 GROUP BY channel"),
          expire_ids(db, "DELETE FROM publish_ids WHERE time < ?1") {}

    sqlite::Database db;
    sqlite::Statement begin, commit, rollback;
    sqlite::Statement insert_message, find_id, insert_id, upsert_channel, trim_channel;
    sqlite::Statement expired, expire_ids;
};

struct SqliteLog::Reader {
    explicit Reader(const std::string& path)
        : db(path, true),
          begin(db, "BEGIN"),
          end(db, "COMMIT"),
          channel(db, "SELECT first_seq, last_seq FROM channels WHERE name = ?1"),
          messages(db,
                   "SELECT seq, id, event, data, time FROM messages "
                   "WHERE channel = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"),
          channels(db, "SELECT name, first_seq, last_seq FROM channels WHERE name >= ?1 "
                       "ORDER BY name"),
          ping(db, "SELECT 1") {}

    sqlite::Database db;
    sqlite::Statement begin, end, channel, messages, channels, ping;
};

}  // namespace herald::storage
