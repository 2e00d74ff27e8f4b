#include "transport/http/request_framing.hpp"

#include <array>
#include <string>

#include <boost/beast/core/string.hpp>

#include "transport/http/responses.hpp"

namespace herald::transport {

namespace {

/// The transfer codings of IANA's registry (RFC 9112 7): any other is unknown, so 501.
bool is_registered_coding(std::string_view coding) {
    static constexpr std::array<std::string_view, 7> kRegistered{
            "chunked", "compress", "deflate", "gzip", "identity", "x-compress", "x-gzip"};
    for (std::string_view known : kRegistered) {
        if (boost::beast::iequals(coding, known)) return true;
    }
    return false;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

Response refuse(std::string_view message, http::status status = http::status::bad_request) {
    Response response = error_response(wire::ApiError::bad_request, message);
    response.result(status);
    return response;
}

}  // namespace

std::optional<Response> framing_refusal(const http::request_header<>& header) {
    const std::size_t hosts = header.count(http::field::host);
    if (hosts > 1) return refuse("more than one Host header (RFC 9112 3.2)");
    if (hosts == 0 && header.version() >= 11) {
        return refuse("an HTTP/1.1 request needs a Host header (RFC 9112 3.2)");
    }

    auto [field, end] = header.equal_range(http::field::transfer_encoding);
    if (field == end) return std::nullopt;
    std::size_t codings = 0;
    bool only_chunked = true;
    for (; field != end; ++field) {
        std::string_view list = field->value();
        while (true) {
            const std::size_t comma = list.find(',');
            // Parameters (";q=...") do not change which coding it is.
            std::string_view coding = trim(list.substr(0, list.find_first_of(",;")));
            if (!coding.empty()) {
                ++codings;
                if (!is_registered_coding(coding)) {
                    return refuse("Transfer-Encoding " + std::string(coding) +
                                          " is not supported; send chunked or Content-Length",
                                  http::status::not_implemented);
                }
                only_chunked = only_chunked && boost::beast::iequals(coding, "chunked");
            }
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    if (codings != 1 || !only_chunked) {
        return refuse(
                "Transfer-Encoding must be exactly chunked (RFC 9112 6.1); Herald decodes "
                "no content coding");
    }
    if (header.version() < 11) return refuse("Transfer-Encoding in an HTTP/1.0 request");
    if (header.count(http::field::content_length) != 0) {
        return refuse("Transfer-Encoding and Content-Length together (RFC 9112 6.1)");
    }
    return std::nullopt;
}

}  // namespace herald::transport
