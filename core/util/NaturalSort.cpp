// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/NaturalSort.h"

#include <cctype>

namespace offload {

namespace {
bool isDigit(char c)
{
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

/// The digit run at `pos` without leading zeros; advances pos past the run.
std::string_view digitRun(std::string_view text, std::size_t& pos)
{
    std::size_t end = pos;
    while (end < text.size() && isDigit(text[end]))
        ++end;
    std::string_view run = text.substr(pos, end - pos);
    pos = end;
    const std::size_t first = run.find_first_not_of('0');
    return first == std::string_view::npos ? std::string_view() : run.substr(first);
}
} // namespace

bool naturalLess(std::string_view a, std::string_view b)
{
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        if (isDigit(a[i]) && isDigit(b[j])) {
            const std::string_view na = digitRun(a, i);
            const std::string_view nb = digitRun(b, j);
            if (na.size() != nb.size())
                return na.size() < nb.size();
            if (na != nb)
                return na < nb;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

} // namespace offload
