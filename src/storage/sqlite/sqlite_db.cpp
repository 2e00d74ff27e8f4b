#include "storage/sqlite/sqlite_db.hpp"

#include <stdexcept>

#include <sqlite3.h>

namespace herald::storage::sqlite {

Database::Database(const std::string& path, bool read_only) {
    const int flags =
            (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
            SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("cannot open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
    sqlite3_close_v2(db_);
}

void Database::exec_or_throw(const char* sql) {
    if (exec(sql) != SQLITE_OK) throw std::runtime_error(error_message());
}

int Database::exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
}

std::string Database::error_message() const {
    return sqlite3_errmsg(db_);
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

Statement::Statement(Database& db, std::string_view sql) {
    if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &statement_, nullptr) != SQLITE_OK) {
        throw std::runtime_error("cannot prepare `" + std::string(sql) +
                                 "`: " + db.error_message());
    }
}

Statement::~Statement() {
    sqlite3_finalize(statement_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

int Statement::step() {
    return sqlite3_step(statement_);
}

std::int64_t Statement::column_int(int index) {
    return sqlite3_column_int64(statement_, index);
}

std::string_view Statement::column_text(int index) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
    const int size = sqlite3_column_bytes(statement_, index);
    return text == nullptr ? std::string_view{}
                           : std::string_view(text, static_cast<std::size_t>(size));
}

void Statement::reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

bool run(Statement& statement) {
    StatementScope scope(statement);
    return statement.step() == SQLITE_DONE;
}

}  // namespace herald::storage::sqlite
