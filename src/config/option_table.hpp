#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.hpp"

namespace herald::config {

/// One option: its file key, its help, and how a text value is applied.
struct OptionSpec {
    std::string key;         // "history.max_messages"
    std::string value_name;  // shown in --help: N, DURATION, TEXT
    std::string help;
    std::vector<std::string> aliases;  // extra flags, e.g. "--data" for storage.path
    /// Applies `value`; returns an error message when it is not acceptable.
    std::function<std::optional<std::string>(Options&, const std::string&)> apply;
    /// The default, as text, for --help.
    std::function<std::string(const Options&)> show;
};

const std::vector<OptionSpec>& option_table();

/// "history.max_messages" -> "--history-max-messages"
std::string flag_of(std::string_view key);
/// "history.max_messages" -> "HERALD_HISTORY_MAX_MESSAGES"
std::string env_of(std::string_view key);

}  // namespace herald::config
