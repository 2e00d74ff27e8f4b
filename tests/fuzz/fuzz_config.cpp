// Configuration: the first byte chooses a TOML file (the rest written to a file, as `--config`
// reads it) or flags (`key=value` lines, as the command line and the environment give them).
// Anything wrong must be a ConfigError, the one line `herald` prints before exiting with 2.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <unistd.h>

#include "config/options.hpp"

namespace config = herald::config;

namespace {

/// A file of its own per process, named once.
const std::string& config_file() {
    static const std::string path =
            std::string("/tmp/herald-fuzz-config-").append(std::to_string(::getpid()));
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if ((data[0] & 1) != 0) {
            std::FILE* file = std::fopen(config_file().c_str(), "wb");
            if (file == nullptr) return 0;
            std::fwrite(text.data(), 1, text.size(), file);
            std::fclose(file);
            // Removed whatever the outcome: nothing is left behind when the run ends.
            struct Remove {
                ~Remove() { ::unlink(config_file().c_str()); }
            } remove;
            (void)config::resolve_options(config_file(), {}, {});
        } else {
            config::RawValues flags;
            std::size_t start = 0;
            while (start < text.size()) {
                const std::size_t end = std::min(text.find('\n', start), text.size());
                const std::string_view line = text.substr(start, end - start);
                const std::size_t equals = line.find('=');
                if (equals != std::string_view::npos) {
                    flags[std::string(line.substr(0, equals))] =
                            std::string(line.substr(equals + 1));
                }
                start = end + 1;
            }
            (void)config::resolve_options("", {}, flags);
        }
    } catch (const config::ConfigError&) {
        // Refused with its message: what a user gets.
    }
    return 0;
}
