#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::wire {

/// The text of member `name` of the JSON object `object_text`, exactly as its sender wrote it
/// but for the whitespace outside strings, which is dropped. A payload is relayed this way,
/// never parsed and serialised again: a number such as `1e999` or a 30-digit integer would
/// come back as `Infinity` (not JSON) or with digits lost (API.md Concepts, Message).
///
/// `object_text` must already have been checked as one valid JSON object (Boost.JSON's parser
/// does that first); this only walks it. When a name repeats, the last member counts, as it
/// does for Boost.JSON. Nothing when there is no such member.
std::optional<std::string> member_text(std::string_view object_text, std::string_view name);

/// The text of each item of the JSON array `array_text`, as `member_text` gives a member's.
/// `array_text` must be valid JSON; nothing when it is not an array.
std::optional<std::vector<std::string>> array_items_text(std::string_view array_text);

/// `json` without the whitespace outside its strings. `json` must be valid JSON.
std::string compact_json(std::string_view json);

/// Debug builds: aborts, naming the text, when `text` is not one valid JSON value. Everything
/// Herald sends must be JSON (API.md Concepts); release builds check nothing.
void assert_json(std::string_view text);

}  // namespace herald::wire
