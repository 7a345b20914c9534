// SPDX-License-Identifier: GPL-2.0-or-later
// What every fuzz target needs: the input as text or bytes, and a check that aborts (so that
// libFuzzer keeps the input) when a parser's result breaks a promise of its API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace offload::fuzz {

inline std::string_view text(const uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

inline std::vector<uint8_t> bytes(const uint8_t* data, std::size_t size)
{
    return {data, data + size};
}

/// Splits the input at `separator` bytes into at most `parts` pieces (the last takes the rest).
inline std::vector<std::string_view> split(std::string_view input, char separator, std::size_t parts)
{
    std::vector<std::string_view> out;
    while (out.size() + 1 < parts) {
        const auto at = input.find(separator);
        if (at == std::string_view::npos)
            break;
        out.push_back(input.substr(0, at));
        input.remove_prefix(at + 1);
    }
    out.push_back(input);
    return out;
}

#define OFFLOADCP_FUZZ_CHECK(condition)                                                            \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #condition);   \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

} // namespace offload::fuzz
