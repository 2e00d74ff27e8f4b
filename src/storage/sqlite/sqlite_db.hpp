#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace herald::storage::sqlite {

/// An open SQLite connection. Opening throws (start-up only); everything after returns codes.
/// Thread: one at a time (SQLITE_OPEN_NOMUTEX): each connection belongs to one user.
class Database {
public:
    Database(const std::string& path, bool read_only);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs statements without results; throws with the message on failure (start-up only).
    void exec_or_throw(const char* sql);
    /// Runs statements without results; returns the SQLite result code.
    [[nodiscard]] int exec(const char* sql);
    std::string error_message() const;
    std::int64_t last_insert_rowid() const;
    sqlite3* handle() { return db_; }

private:
    sqlite3* db_ = nullptr;
};

/// A prepared statement, reused for the connection's lifetime.
class Statement {
public:
    Statement(Database& db, std::string_view sql);  // throws if the SQL does not compile
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    /// SQLITE_ROW, SQLITE_DONE or an error code.
    [[nodiscard]] int step();
    std::int64_t column_int(int index);
    std::string_view column_text(int index);
    /// Makes the statement ready for new bindings; call after the last step.
    void reset();

private:
    sqlite3_stmt* statement_ = nullptr;
};

/// Resets a statement when the scope ends, however it ends.
class StatementScope {
public:
    explicit StatementScope(Statement& statement) : statement_(statement) {}
    ~StatementScope() { statement_.reset(); }
    StatementScope(const StatementScope&) = delete;
    StatementScope& operator=(const StatementScope&) = delete;
    Statement* operator->() { return &statement_; }

private:
    Statement& statement_;
};

/// Steps a statement without results once and resets it: true when it ran to completion.
[[nodiscard]] bool run(Statement& statement);

}  // namespace herald::storage::sqlite
