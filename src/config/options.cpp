#include "config/options.hpp"

#include <cstdlib>

#include <toml++/toml.h>

#include "config/option_table.hpp"

namespace herald::config {
namespace {

const OptionSpec* find_spec(std::string_view key) {
    for (const auto& spec : option_table()) {
        if (spec.key == key) return &spec;
    }
    return nullptr;
}

void apply(Options& options, const std::string& key, const std::string& value,
           const std::string& source) {
    const OptionSpec* spec = find_spec(key);
    if (spec == nullptr) throw ConfigError(source + ": unknown option " + key);
    if (auto error = spec->apply(options, value)) {
        throw ConfigError(source + ": bad value for " + key + ": " + *error);
    }
}

/// A TOML value as the text a flag would carry (arrays comma-joined).
std::string as_text(const toml::node& node, const std::string& key, const std::string& path) {
    if (auto text = node.value<std::string>(); text && node.is_string()) return *text;
    if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
    if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
    if (node.is_floating_point()) {
        std::string text = std::to_string(*node.value<double>());
        text.erase(text.find_last_not_of('0') + 1);
        if (text.ends_with('.')) text += '0';
        return text;
    }
    if (const toml::array* array = node.as_array()) {
        std::string joined;
        for (const auto& item : *array) {
            if (!item.is_string()) throw ConfigError(path + ": " + key + " must list strings");
            if (!joined.empty()) joined += ',';
            joined += *item.value<std::string>();
        }
        return joined;
    }
    throw ConfigError(path + ": " + key + " has a value of the wrong type");
}

/// The strings of a TOML array (or one string), for `[[webhooks]]` keys.
std::vector<std::string> string_list(const toml::node& node, const std::string& where) {
    std::vector<std::string> items;
    if (node.is_string()) {
        items.push_back(*node.value<std::string>());
        return items;
    }
    const toml::array* array = node.as_array();
    if (array == nullptr) throw ConfigError(where + " must be a list of strings");
    for (const auto& item : *array) {
        if (!item.is_string()) throw ConfigError(where + " must be a list of strings");
        items.push_back(*item.value<std::string>());
    }
    return items;
}

/// `[[webhooks]]`: url, events, channels, secret. Shapes are checked here, values when the
/// server starts (webhook layer), each error naming `webhooks[i]`.
void apply_webhooks(Options& options, const toml::node& node, const std::string& path) {
    const toml::array* tables = node.as_array();
    if (tables == nullptr) {
        throw ConfigError(path + ": webhooks must be an array of tables ([[webhooks]])");
    }
    for (std::size_t i = 0; i < tables->size(); ++i) {
        const std::string where = path + ": webhooks[" + std::to_string(i) + "]";
        const toml::table* table = (*tables)[i].as_table();
        if (table == nullptr) throw ConfigError(where + " must be a table ([[webhooks]])");
        WebhookEndpointConfig endpoint;
        bool has_url = false, has_events = false, has_secret = false;
        for (const auto& [name, value] : *table) {
            const std::string key(name.str());
            if (key == "url" || key == "secret") {
                if (!value.is_string()) throw ConfigError(where + "." + key + " must be a string");
                (key == "url" ? endpoint.url : endpoint.secret) = *value.value<std::string>();
                (key == "url" ? has_url : has_secret) = true;
            } else if (key == "events") {
                endpoint.events = string_list(value, where + ".events");
                has_events = true;
            } else if (key == "channels") {
                endpoint.channels = string_list(value, where + ".channels");
            } else {
                throw ConfigError(where + ": unknown key " + key +
                                  " (expected url, events, channels, secret)");
            }
        }
        if (!has_url) throw ConfigError(where + ": url is required");
        if (!has_events) throw ConfigError(where + ": events is required");
        if (!has_secret) {
            throw ConfigError(where +
                              ": secret is required (whsec_ and base64 of 24 to 64 random "
                              "bytes), so that receivers can verify signatures");
        }
        options.webhooks.push_back(std::move(endpoint));
    }
}

void apply_file(Options& options, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        throw ConfigError("cannot read config " + path + ": " + std::string(error.description()) +
                          " (line " + std::to_string(where.line) + ")");
    }
    for (const auto& [section, node] : root) {
        if (section.str() == "webhooks") {
            apply_webhooks(options, node, path);
            continue;
        }
        const toml::table* table = node.as_table();
        if (table == nullptr) {
            throw ConfigError(path + ": unknown option " + std::string(section.str()));
        }
        for (const auto& [name, value] : *table) {
            const std::string key = std::string(section.str()) + "." + std::string(name.str());
            apply(options, key, as_text(value, key, path), path);
        }
    }
}

}  // namespace

Options resolve_options(const std::string& config_path, const RawValues& environment,
                        const RawValues& flags) {
    Options options;
    if (!config_path.empty()) apply_file(options, config_path);
    for (const auto& [key, value] : environment)
        apply(options, key, value, env_of(key));
    for (const auto& [key, value] : flags)
        apply(options, key, value, flag_of(key));
    return options;
}

RawValues environment_values() {
    RawValues values;
    for (const auto& spec : option_table()) {
        if (const char* value = std::getenv(env_of(spec.key).c_str())) values[spec.key] = value;
    }
    return values;
}

std::pair<std::string, unsigned short> split_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon + 1 == listen.size()) {
        throw ConfigError("'" + listen + "' is not HOST:PORT");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string port_text = listen.substr(colon + 1);
    char* end = nullptr;
    const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
    if (*end != '\0' || port > 65535 || host.empty()) {
        throw ConfigError("'" + listen + "' is not HOST:PORT");
    }
    return {host, static_cast<unsigned short>(port)};
}

}  // namespace herald::config
