#pragma once

#include <memory>
#include <string>

#include "storage/stored_message.hpp"

namespace herald::core {

using Seq = storage::Seq;

/// One committed message, read-only for every shard and subscriber.
class Message {
public:
    explicit Message(storage::StoredMessage stored);

    const std::string& channel() const { return stored_.channel; }
    Seq seq() const { return stored_.seq; }
    const std::string& id() const { return stored_.id; }
    const std::string& event() const { return stored_.event; }
    const std::string& data() const { return stored_.data; }  // JSON text
    std::int64_t time() const { return stored_.time; }

    /// The message object of API.md, encoded once:
    /// {"channel":C,"seq":S,"id":I,"event":E,"data":D,"time":T}
    const std::string& json() const { return json_; }

private:
    storage::StoredMessage stored_;
    std::string json_;
};

using MessagePtr = std::shared_ptr<const Message>;

/// Appends `text` to `out` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

}  // namespace herald::core
