#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "storage/sqlite/sqlite_db.hpp"

namespace herald::storage {

/// Copies the WAL back into the database file from its own thread and connection, so that
/// commits never pay for a checkpoint (SQLite's automatic one runs inside the commit that
/// crosses its threshold: measured here as a latency spike of several milliseconds).
/// PASSIVE checkpoints wait for no reader or writer. Under a steady stream of commits they never
/// catch up with the last frame, and the WAL only starts over when a write begins with
/// everything copied: the writer finishes the job itself (SqliteLog::restart_wal), cheaply,
/// since by then little is left to copy.
/// Thread: its own; built and destroyed by SqliteLog.
class Checkpointer {
public:
    explicit Checkpointer(const std::string& path);
    ~Checkpointer();

private:
    void run();

    sqlite::Database db_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace herald::storage
