#include "cli/bench/streaming_subscriber.hpp"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

namespace herald::cli::bench {
namespace {

using tcp = net::ip::tcp;

std::string chunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}

std::string sse_event(std::uint64_t seq) {
    return "id: " + std::to_string(seq) +
           "\nevent: message\ndata: {\"channel\":\"c\",\"seq\":" + std::to_string(seq) +
           ",\"id\":\"m\",\"event\":\"message\",\"data\":{\"t\":1,\"n\":" + std::to_string(seq) +
           "},\"time\":1}\n\n";
}

const std::string kHeaders =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

bool wait_for(const std::atomic<std::uint64_t>& progress, std::uint64_t value) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (progress.load() < value && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return progress.load() >= value;
}

/// A loopback server whose script runs on its own thread with each accepted socket.
class ScriptedServer {
public:
    ScriptedServer() : acceptor_(context_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {}
    ~ScriptedServer() { join(); }
    /// Waits for the script: it reads state of the test that must outlive it.
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    template <class Script>
    void run(Script script) {
        thread_ = std::thread([this, script] { script(*this); });
    }
    /// Accepts a connection and reads its request's head into `head`.
    tcp::socket accept(std::string& head) {
        tcp::socket socket = acceptor_.accept();
        const std::size_t end = net::read_until(socket, net::dynamic_buffer(head), "\r\n\r\n");
        head.resize(end);
        return socket;
    }
    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
    std::size_t sent = 0;  // response bytes written on the first connection

private:
    net::io_context context_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

TEST(StreamingSubscriber, RecordsEachEventAsItArrivesAndResumesAfterTheLastSeq) {
    ScriptedServer server;
    ProgressBoard board(1);
    bench::Run run;  // qualified: gtest's Test::Run would hide it
    run.channel = "c";
    run.transport = "sse";
    std::string first_request;
    std::string second_request;
    server.run([&](ScriptedServer& s) {
        tcp::socket socket = s.accept(first_request);
        // Event 1 split across two chunks, the preamble in front of it.
        const std::string event = sse_event(1);
        std::string bytes =
                kHeaders + chunk("retry: 2000\n\n" + event.substr(0, 20)) + chunk(event.substr(20));
        s.sent += net::write(socket, net::buffer(bytes));
        // The subscriber must have event 1 before anything more is sent: it reads as data comes.
        EXPECT_TRUE(wait_for(board.slot(0), 1));
        bytes = chunk(": keepalive\n\n" + sse_event(2));
        s.sent += net::write(socket, net::buffer(bytes));
        EXPECT_TRUE(wait_for(board.slot(0), 2));
        // The server ends the response (a slow consumer, say): the subscriber comes back.
        bytes = "0\r\n\r\n";
        s.sent += net::write(socket, net::buffer(bytes));
        socket.close();
        tcp::socket again = s.accept(second_request);
        net::write(again, net::buffer(kHeaders + chunk(sse_event(3))));
        EXPECT_TRUE(wait_for(board.slot(0), 3));
    });

    net::io_context context;
    auto subscriber = std::make_shared<StreamingSubscriber>(context, server.endpoint(), run, 0,
                                                            board.slot(0));
    subscriber->start();
    std::thread client([&context] { context.run_for(std::chrono::seconds(10)); });
    EXPECT_TRUE(wait_for(board.slot(0), 3));
    net::post(context, [&] {
        run.stopping = true;
        subscriber->stop();
    });
    client.join();
    server.join();

    EXPECT_NE(first_request.find("GET /v1/channels/c/events?after=0 HTTP/1.1"), std::string::npos);
    EXPECT_NE(first_request.find("Accept: text/event-stream"), std::string::npos);
    EXPECT_NE(second_request.find("GET /v1/channels/c/events?after=2 HTTP/1.1"), std::string::npos)
            << second_request;
    const DeliveryCounts counts = subscriber->check.counts(1, 3);
    EXPECT_EQ(counts.received, 3u);
    EXPECT_EQ(counts.lost, 0u);
    EXPECT_EQ(counts.duplicated, 0u);
    EXPECT_EQ(subscriber->latency.count(), 3u);
    EXPECT_EQ(subscriber->traffic.requests, 2u);
    EXPECT_GE(subscriber->traffic.bytes_received, server.sent) << "headers and framing count";
    EXPECT_EQ(run.connected.load(), 1u) << "a subscriber counts as connected once";
}

TEST(StreamingSubscriber, ReadsNchansRawStreamByThePublishersNumbers) {
    ScriptedServer server;
    ProgressBoard board(1);
    bench::Run run;  // qualified: gtest's Test::Run would hide it
    run.nchan = true;
    run.channel = "c";
    run.transport = "stream";
    std::string request;
    server.run([&](ScriptedServer& s) {
        tcp::socket socket = s.accept(request);
        // Nchan's http-raw-stream: no length, no chunks, the body ends with the connection.
        net::write(socket, net::buffer(std::string("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                                                   "{\"t\":5,\"n\":1}\n{\"t\":6,")));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        net::write(socket, net::buffer(std::string("\"n\":2}\n")));
        EXPECT_TRUE(wait_for(board.slot(0), 2));
    });
    net::io_context context;
    auto subscriber = std::make_shared<StreamingSubscriber>(context, server.endpoint(), run, 0,
                                                            board.slot(0));
    subscriber->start();
    std::thread client([&context] { context.run_for(std::chrono::seconds(10)); });
    EXPECT_TRUE(wait_for(board.slot(0), 2));
    net::post(context, [&] {
        run.stopping = true;
        subscriber->stop();
    });
    client.join();
    server.join();
    EXPECT_NE(request.find("GET /stream/c HTTP/1.1"), std::string::npos) << request;
    EXPECT_EQ(subscriber->check.counts(1, 2).lost, 0u);
}

}  // namespace
}  // namespace herald::cli::bench
