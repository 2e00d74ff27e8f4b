#include "storage/sqlite/sqlite_checkpointer.hpp"

#include <chrono>

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace herald::storage {

namespace {

constexpr auto kInterval = std::chrono::milliseconds(50);

}  // namespace

Checkpointer::Checkpointer(const std::string& path) : db_(path, false) {
    // A cap on the WAL file kept after a checkpoint resets it.
    // Reading the schema makes this connection join the WAL; until then it checkpoints nothing.
    db_.exec_or_throw("PRAGMA journal_size_limit = 67108864; SELECT count(*) FROM sqlite_master");
    thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void Checkpointer::run() {
    pthread_setname_np(pthread_self(), "sqlite-ckpt");
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, kInterval, [this] { return stopping_; });
        lock.unlock();
        int wal_frames = 0;
        int copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                 &wal_frames, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            spdlog::warn("storage: checkpoint failed: {}", db_.error_message());
        }
        lock.lock();
    }
}

}  // namespace herald::storage
