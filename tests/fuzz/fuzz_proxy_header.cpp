// The PROXY protocol header a load balancer sends first (v1 text, v2 binary): the client's
// address, `incomplete`, or invalid with a reason; never a read past what it was given (ASan).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/http/proxy_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using herald::transport::ProxyHeader;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const ProxyHeader header = herald::transport::parse_proxy_header(bytes);
    // Its promises (proxy_protocol.hpp): it decides within kProxyDecisionBytes, and a version 1
    // header (text, no TLVs) lies within the bytes given.
    if (header.kind == ProxyHeader::Kind::incomplete &&
        size >= herald::transport::kProxyDecisionBytes) {
        __builtin_trap();
    }
    const bool decided =
            header.kind == ProxyHeader::Kind::proxied || header.kind == ProxyHeader::Kind::local;
    if (decided && bytes.starts_with("PROXY ") && header.length > size) __builtin_trap();
    return 0;
}
