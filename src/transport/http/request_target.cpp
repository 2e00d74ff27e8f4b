#include "transport/http/request_target.hpp"

#include <charconv>

#include <boost/url/parse.hpp>

namespace herald::transport {

std::optional<std::string_view> RequestTarget::param(std::string_view name) const {
    for (const auto& [key, value] : query) {
        if (key == name) return value;
    }
    return std::nullopt;
}

std::optional<RequestTarget> parse_request_target(std::string_view target) {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
        // RFC 9112 3.2.2: a server must accept the absolute form ("GET http://host/path"),
        // which proxies send; its path and query are what counts here.
        auto absolute = boost::urls::parse_absolute_uri(target);
        if (!absolute || (absolute->scheme_id() != boost::urls::scheme::http &&
                          absolute->scheme_id() != boost::urls::scheme::https)) {
            return std::nullopt;
        }
        parsed = boost::urls::parse_origin_form(
                absolute->encoded_target().empty() ? std::string_view("/")
                                                   : std::string_view(absolute->encoded_target()));
        if (!parsed) return std::nullopt;
    }
    RequestTarget result;
    for (auto segment : parsed->segments())
        result.segments.push_back(std::string(segment));
    // "/a/" has an empty last segment: a different path from "/a", and no route of ours.
    for (auto param : parsed->params()) {
        result.query.emplace_back(std::string(param.key), std::string(param.value));
    }
    return result;
}

NumberParam read_number(const RequestTarget& target, std::string_view name, std::uint64_t& out) {
    auto value = target.param(name);
    if (!value) return NumberParam::absent;
    const char* end = value->data() + value->size();
    auto [rest, ec] = std::from_chars(value->data(), end, out);
    if (ec != std::errc{} || rest != end || value->empty()) return NumberParam::invalid;
    return NumberParam::valid;
}

}  // namespace herald::transport
