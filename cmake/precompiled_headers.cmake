# Precompiled headers for the libraries whose files include Asio, Beast and Boost.JSON: parsing
# those headers is most of each file's compile time, so a fresh clone's first build (what
# `make run` waits for) parses them once per library instead of once per file.
# herald_precompile(TARGET): the set below, before the target's own includes.
option(HERALD_PCH "Precompile the Boost-heavy headers of the libraries that include them" ON)
function(herald_precompile target)
    if(NOT HERALD_PCH)
        return()
    endif()
    target_precompile_headers(${target} PRIVATE
        <boost/asio/io_context.hpp> <boost/asio/ip/tcp.hpp> <boost/asio/steady_timer.hpp>
        <boost/asio/post.hpp> <boost/asio/write.hpp> <boost/asio/ssl.hpp>
        <boost/beast/core.hpp> <boost/beast/http.hpp> <boost/json.hpp>
        <spdlog/spdlog.h> <functional> <memory> <string> <vector>)
endfunction()
