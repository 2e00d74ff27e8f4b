#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "storage/stored_message.hpp"

namespace herald::core {

using Seq = storage::Seq;

/// The wire forms a message may be sent in, each encoded at most once (wire/ encodes them).
enum class WireForm { sse, ndjson, websocket, websocket_deflate };
inline constexpr std::size_t kWireForms = 4;

/// One committed message, read-only for every shard and subscriber.
class Message {
public:
    using Encoder = std::function<std::string(const Message&)>;

    explicit Message(storage::StoredMessage stored);

    const std::string& channel() const { return stored_.channel; }
    Seq seq() const { return stored_.seq; }
    /// The first of a channel that storage lost and restarted at a lower seq (StoredMessage).
    bool resets() const { return stored_.reset; }
    const std::string& id() const { return stored_.id; }
    const std::string& event() const { return stored_.event; }
    const std::string& data() const { return stored_.data; }  // JSON text
    std::int64_t time() const { return stored_.time; }

    /// The message object of API.md, encoded once:
    /// {"channel":C,"seq":S,"id":I,"event":E,"data":D,"time":T}
    const std::string& json() const { return json_; }

    /// The message in `form`, made by `encode` the first time any subscriber on any shard asks
    /// for it and shared by every later one: never encoded per subscriber.
    /// Thread: any; the first caller encodes, concurrent callers wait for it.
    const std::string& encoded(WireForm form, const Encoder& encode) const;

private:
    struct Encoded {
        std::once_flag once;
        std::string bytes;
    };

    storage::StoredMessage stored_;
    std::string json_;
    mutable std::array<Encoded, kWireForms> encoded_;
};

using MessagePtr = std::shared_ptr<const Message>;

/// Appends `text` to `out` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

}  // namespace herald::core
