#include "transport/common/refusal.hpp"

#include <array>

namespace herald::transport {

namespace net = boost::asio;

std::string closing_error_answer(std::string_view status_line, std::string_view extra_headers,
                                 std::string_view code, std::string_view message) {
    std::string body = "{\"error\":{\"code\":\"";
    body.append(code).append("\",\"message\":\"").append(message).append("\"}}");
    std::string answer = "HTTP/1.1 ";
    answer.append(status_line)
            .append("\r\nContent-Type: application/json\r\n")
            .append(extra_headers)
            .append("Content-Length: ")
            .append(std::to_string(body.size()))
            .append("\r\nConnection: close\r\n\r\n")
            .append(body);
    return answer;
}

void refuse_connection(runtime::Socket& socket, std::string_view answer) {
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    if (!answer.empty()) socket.write_some(net::buffer(answer.data(), answer.size()), ignored);
    std::array<char, 4096> sink;
    for (int round = 0; round < 4 && socket.available(ignored) > 0; ++round)
        socket.read_some(net::buffer(sink), ignored);
    socket.shutdown(net::socket_base::shutdown_both, ignored);
    socket.close(ignored);
}

}  // namespace herald::transport
