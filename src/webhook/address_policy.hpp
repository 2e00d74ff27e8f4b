#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "webhook/invalid_input.hpp"

namespace herald::webhook {

/// `webhook_delivery.deny_private` (docs/SECURITY.md): webhook endpoints may not reach the
/// network Herald runs in. An admin, or a stolen admin token, could otherwise make Herald POST
/// to 127.0.0.1, a cloud metadata service or a host behind the firewall, and read from the
/// deliveries list whether a port answers.
///
/// Checked twice: on the URL host at endpoint creation (a literal address in any form), and on
/// every resolved address before each connection (names, and names whose DNS answer changes
/// between creation and delivery: rebinding).

/// Why `address` is refused ("loopback", "private", "link-local", ...); nothing for an address
/// of the public internet. IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d,
/// compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) are judged by that IPv4 address.
[[nodiscard]] std::optional<std::string_view> refusal_of(const boost::asio::ip::address& address);

/// The address a URL host is, or nothing for a name ("localhost" is a name: it is judged after
/// resolution). IPv6 without brackets; IPv4 in every form inet_aton takes (2130706433, 0x7f.1,
/// 0177.0.0.1, 127.1), since the system resolver connects to these too while Boost.URL sees
/// them as names.
[[nodiscard]] std::optional<boost::asio::ip::address> literal_address(std::string_view host);

/// Endpoint creation: why a URL host that is a refused address may not be used; nothing for a
/// name or an allowed address. The message is the admin API's 400 text.
[[nodiscard]] std::optional<InvalidInput> refuse_private_host(std::string_view host);

/// "127.0.0.1 (loopback; webhook_delivery.deny_private)": names the setting, so that whoever
/// reads an error knows what to change.
std::string refused_address_text(const boost::asio::ip::address& address, std::string_view why);

}  // namespace herald::webhook
