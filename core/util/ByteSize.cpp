// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/ByteSize.h"

#include <array>
#include <optional>
#include <string>
#include <cctype>
#include <limits>
#include <utility>

namespace offload {

namespace {

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<uint64_t> multiplierOf(const std::string& suffix)
{
    static const std::array<std::pair<const char*, uint64_t>, 18> table{{
        {"", 1},
        {"b", 1},
        {"s", 512},
        {"k", 1ull << 10},
        {"kib", 1ull << 10},
        {"kb", 1000ull},
        {"m", 1ull << 20},
        {"mib", 1ull << 20},
        {"mb", 1000ull * 1000},
        {"g", 1ull << 30},
        {"gib", 1ull << 30},
        {"gb", 1000ull * 1000 * 1000},
        {"t", 1ull << 40},
        {"tib", 1ull << 40},
        {"tb", 1000ull * 1000 * 1000 * 1000},
        {"p", 1ull << 50},
        {"pib", 1ull << 50},
        {"pb", 1000ull * 1000 * 1000 * 1000 * 1000},
    }};
    for (const auto& [name, multiplier] : table) {
        if (suffix == name)
            return multiplier;
    }
    return std::nullopt;
}

} // namespace

Result<uint64_t> parseByteSize(std::string_view text)
{
    const std::string original(text);
    std::size_t pos = 0;
    unsigned base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        pos = 2;
    }
    const std::size_t digitsStart = pos;
    uint64_t value = 0;
    for (; pos < text.size(); ++pos) {
        const auto c = static_cast<unsigned char>(text[pos]);
        unsigned digit = 0;
        if (std::isdigit(c))
            digit = c - '0';
        else if (base == 16 && std::isxdigit(c))
            digit = static_cast<unsigned>(std::tolower(c) - 'a' + 10);
        else
            break;
        if (value > (std::numeric_limits<uint64_t>::max() - digit) / base) {
            return std::unexpected(Error::invalid("'" + original + "' is too large"));
        }
        value = value * base + digit;
    }
    if (pos == digitsStart) {
        return std::unexpected(
            Error::invalid("'" + original + "' is not a size", "give a number such as 4096, 64K or 1GiB"));
    }
    // Hex takes no suffix: "0x1b" would be ambiguous.
    const std::string suffix = lower(text.substr(pos));
    const std::optional<uint64_t> multiplier = base == 16 && !suffix.empty() ? std::nullopt : multiplierOf(suffix);
    if (!multiplier) {
        return std::unexpected(Error::invalid("'" + original + "' has an unknown suffix '" +
                                                  std::string(text.substr(pos)) + "'",
                                              "use K, M, G, T, P (or KiB ... PiB), KB ... PB, s or B"));
    }
    if (value != 0 && *multiplier > std::numeric_limits<uint64_t>::max() / value) {
        return std::unexpected(Error::invalid("'" + original + "' is too large"));
    }
    return value * *multiplier;
}

} // namespace offload
