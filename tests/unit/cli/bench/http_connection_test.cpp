#include "cli/bench/http_connection.hpp"

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

namespace herald::cli::bench {
namespace {

using tcp = net::ip::tcp;

/// A one-connection server on a free loopback port that answers each request with `answer`,
/// and records the bytes of every request it read.
class CannedServer {
public:
    explicit CannedServer(std::string answer, int requests)
        : acceptor_(context_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
          answer_(std::move(answer)) {
        thread_ = std::thread([this, requests] {
            tcp::socket socket(context_);
            acceptor_.accept(socket);
            std::string data;
            for (int i = 0; i < requests; ++i) {
                // Requests here carry a body of a declared length after the blank line.
                const std::size_t header =
                        net::read_until(socket, net::dynamic_buffer(data), "\r\n\r\n");
                std::size_t body = 0;
                if (auto at = data.find("Content-Length: ");
                    at != std::string::npos && at < header) {
                    body = std::stoul(data.substr(at + 16));
                }
                if (data.size() < header + body) {
                    net::read(socket, net::dynamic_buffer(data),
                              net::transfer_exactly(header + body - data.size()));
                }
                received += header + body;
                data.erase(0, header + body);
                net::write(socket, net::buffer(answer_));
            }
        });
    }
    ~CannedServer() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
    std::size_t received = 0;

private:
    net::io_context context_;
    tcp::acceptor acceptor_;
    std::string answer_;
    std::thread thread_;
};

TEST(HttpConnection, CountsEveryByteAndRequestBothWays) {
    const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
            "{\"ok\":true}";
    Traffic traffic;
    std::size_t server_received = 0;
    {
        CannedServer server(answer, 2);
        net::io_context context;
        auto connection = std::make_shared<HttpConnection>(context, server.endpoint(), traffic);
        std::string first_body;
        connection->request(http::verb::get, "/v1/channels/c/messages?after=0", {},
                            [&](beast::error_code ec, HttpConnection::Response&& response) {
                                ASSERT_FALSE(ec);
                                first_body = response.body();
                                connection->request(
                                        http::verb::post, "/v1/channels/c/messages", "{\"data\":1}",
                                        [](beast::error_code post_ec, HttpConnection::Response&&) {
                                            ASSERT_FALSE(post_ec);
                                        });
                            });
        context.run();
        connection->close();
        EXPECT_EQ(first_body, "{\"ok\":true}");
        server.join();
        server_received = server.received;
    }
    EXPECT_EQ(traffic.requests, 2u);
    EXPECT_EQ(traffic.bytes_received, 2 * answer.size()) << "headers and bodies, both answers";
    EXPECT_EQ(traffic.bytes_sent, server_received) << "what the server read, byte for byte";
}

}  // namespace
}  // namespace herald::cli::bench
