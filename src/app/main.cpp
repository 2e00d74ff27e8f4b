// herald: the server (`serve`) and its client commands (`pub`, `sub`, `token`, `bench`).

#include <cstdlib>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "app/server.hpp"
#include "cli/commands.hpp"
#include "config/option_table.hpp"
#include "config/options.hpp"

namespace {

using herald::config::RawValues;

std::string env_or(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : std::move(fallback);
}

/// Every option of the table as a flag of `serve`, its help naming the variable and file key.
void add_serve_flags(CLI::App& serve, RawValues& flags, std::string& config_path) {
    serve.add_option("--config", config_path, "TOML file with options (env HERALD_CONFIG)")
            ->option_text("FILE");
    const herald::config::Options defaults;
    for (const auto& spec : herald::config::option_table()) {
        std::string names = herald::config::flag_of(spec.key);
        for (const auto& alias : spec.aliases)
            names += "," + alias;
        std::string help = spec.help + " [default: " + spec.show(defaults) + "] (env " +
                           herald::config::env_of(spec.key) + ", file " + spec.key + ")";
        serve.add_option_function<std::string>(
                     names,
                     [&flags, key = spec.key](const std::string& value) { flags[key] = value; },
                     help)
                ->option_text(spec.value_name)
                ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last one wins
    }
}

void add_client_options(CLI::App& command, herald::cli::ClientOptions& client) {
    client.url = env_or("HERALD_URL", "http://127.0.0.1:8080");
    client.token = env_or("HERALD_TOKEN", "");
    command.add_option("--url", client.url, "Server base URL (env HERALD_URL)")
            ->capture_default_str();
    command.add_option("--token", client.token, "Bearer token (env HERALD_TOKEN)");
}

/// pub and sub speak https too; the bench measures plain HTTP only.
void add_cacert_option(CLI::App& command, herald::cli::ClientOptions& client) {
    client.cacert = env_or("HERALD_CACERT", "");
    command.add_option("--cacert", client.cacert,
                       "PEM file of CAs to trust for an https --url, besides the system's "
                       "(env HERALD_CACERT)")
            ->option_text("FILE");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
            "Herald: real-time messages over polling, long polling, SSE, streams and "
            "WebSocket"};
    app.require_subcommand(1);
    // Logs go to stderr: stdout belongs to the client commands' output.
    spdlog::set_default_logger(spdlog::stderr_color_mt("herald"));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

    RawValues flags;
    std::string config_path = env_or("HERALD_CONFIG", "");
    CLI::App* serve = app.add_subcommand("serve", "Run the server");
    add_serve_flags(*serve, flags, config_path);

    herald::cli::ClientOptions client;
    herald::cli::PubArguments pub_arguments;
    CLI::App* pub = app.add_subcommand("pub", "Publish one message; prints the reply");
    pub->add_option("channel", pub_arguments.channel, "Channel name")->required();
    pub->add_option("data", pub_arguments.data, "Message data, JSON (e.g. '{\"text\":\"hi\"}')")
            ->required();
    pub->add_option("--event", pub_arguments.event, "Event name (default: message)");
    pub->add_option("--id", pub_arguments.id, "Idempotency key: a retry with it is stored once");
    pub->add_flag("--ws", pub_arguments.ws,
                  "Publish over a WebSocket (/v1/ws publish frame); prints the ack frame");
    add_client_options(*pub, client);
    add_cacert_option(*pub, client);

    herald::cli::SubArguments sub_arguments;
    CLI::App* sub = app.add_subcommand("sub", "Print a channel's messages, one JSON per line");
    sub->add_option("channel", sub_arguments.channel, "Channel name")->required();
    sub->add_option("--transport", sub_arguments.transport, "ws | sse | stream | longpoll | poll")
            ->capture_default_str();
    sub->add_option("--after", sub_arguments.after,
                    "Start after this seq (default: only new messages)");
    sub->add_option("--count", sub_arguments.count, "Exit after this many messages");
    sub->add_option("--interval", sub_arguments.interval_seconds, "poll: seconds between polls")
            ->capture_default_str();
    sub->add_option("--wait", sub_arguments.wait_seconds, "longpoll: seconds each request waits")
            ->capture_default_str();
    add_client_options(*sub, client);
    add_cacert_option(*sub, client);

    herald::cli::TokenArguments token_arguments;
    CLI::App* token = app.add_subcommand(
            "token",
            "Print a token signed with the HS256 secret (auth.jwt_secret), for development");
    token->add_option("--sub", token_arguments.sub, "The user: the token's sub");
    token->add_option("--subscribe", token_arguments.subscribe,
                      "Channel globs it may read (room:*), repeat or comma-separate")
            ->delimiter(',');
    token->add_option("--publish", token_arguments.publish, "Channel globs it may publish to")
            ->delimiter(',');
    token->add_flag("--admin", token_arguments.admin, "May use the admin API");
    token->add_option("--ttl", token_arguments.ttl, "Lifetime, like 15m or 1h")
            ->capture_default_str();
    std::string token_secret;
    token->add_option(
            "--secret", token_secret,
            "HS256 secret (default: auth.jwt_secret of --config or HERALD_AUTH_JWT_SECRET)");
    token->add_option("--config", config_path, "TOML file with options (env HERALD_CONFIG)")
            ->option_text("FILE");

    herald::cli::BenchArguments bench_arguments;
    CLI::App* bench = app.add_subcommand("bench", "Load generator: measure a transport's figures");
    bench->add_option("workload", bench_arguments.workload, "fanout | latency")
            ->capture_default_str();
    bench->add_option("--target", bench_arguments.target,
                      "herald, or nchan at --url (bench/nchan/start)")
            ->capture_default_str();
    bench->add_option("--transport", bench_arguments.transports,
                      "poll, longpoll, sse, stream, ws (several: a row each)")
            ->delimiter(',');
    bench->add_option("--subscribers", bench_arguments.subscribers, "fanout: subscribers")
            ->capture_default_str();
    bench->add_option("--rate", bench_arguments.rate,
                      "messages published per second; 0: as fast as the server accepts them")
            ->capture_default_str();
    bench->add_option("--seconds", bench_arguments.seconds, "how long to publish")
            ->capture_default_str();
    bench->add_option("--poll-interval", bench_arguments.poll_interval,
                      "poll: seconds between two polls of a subscriber")
            ->capture_default_str();
    bench->add_option("--threads", bench_arguments.threads, "client threads")
            ->capture_default_str();
    bench->add_option(
                 "--per-process", bench_arguments.per_process,
                 "fanout: subscribers per process; more fork worker processes (open-file limit)")
            ->capture_default_str();
    bench->add_option("--pid", bench_arguments.server_pid,
                      "server PID, for its CPU time from /proc");
    bench->add_option("--connections", bench_arguments.connections,
                      "idle: connections held; throughput: publishing connections (say 64)")
            ->capture_default_str();
    bench->add_option("--messages", bench_arguments.messages, "throughput: publishes in all")
            ->capture_default_str();
    bench->add_option("--channels", bench_arguments.channels, "throughput: channels used")
            ->capture_default_str();
    bench->add_option("--storage", bench_arguments.storage,
                      "storage of the server it starts when no --url is given")
            ->capture_default_str();
    bench->add_flag("--json", bench_arguments.json, "print JSON instead of a table");
    bench->add_option("--svg", bench_arguments.svg,
                      "fanout, latency: draw the latency distribution");
    add_client_options(*bench, client);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        std::cerr << "herald: " << error.what() << " (see --help)\n";
        return 2;
    }

    try {
        if (*serve) {
            auto options = herald::config::resolve_options(
                    config_path, herald::config::environment_values(), flags);
            return herald::app::serve(options);
        }
        if (*pub) return herald::cli::run_pub(client, pub_arguments);
        if (*token) {
            token_arguments.secret =
                    !token_secret.empty()
                            ? token_secret
                            : herald::config::resolve_options(
                                      config_path, herald::config::environment_values(), {})
                                      .jwt_secret;
            return herald::cli::run_token(token_arguments);
        }
        if (*sub) return herald::cli::run_sub(client, sub_arguments);
        if (*bench) {
            // No --url (nor HERALD_URL): start a server of its own and measure that one.
            bench_arguments.start_server =
                    bench->count("--url") == 0 && env_or("HERALD_URL", "").empty();
            return herald::cli::run_bench(client, bench_arguments);
        }
    } catch (const herald::config::ConfigError& error) {
        std::cerr << "herald: " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "herald: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
