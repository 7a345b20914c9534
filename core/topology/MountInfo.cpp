// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/MountInfo.h"

#include <vector>

namespace offload {

namespace {

std::vector<std::string_view> fieldsOf(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
            ++pos;
        std::size_t end = pos;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t')
            ++end;
        if (end > pos)
            out.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

} // namespace

std::string unescapeOctal(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto octal = [&](std::size_t k) { return text[k] >= '0' && text[k] <= '7'; };
        if (text[i] == '\\' && i + 3 < text.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
            const int value = (text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0');
            out.push_back(static_cast<char>(value));
            i += 3;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::optional<MountInfoLine> parseMountInfoLine(std::string_view line)
{
    const auto fields = fieldsOf(line);
    if (fields.size() < 5)
        return std::nullopt;
    const auto dev = DevNum::parse(fields[2]);
    if (!dev)
        return std::nullopt;
    MountInfoLine out { *dev, unescapeOctal(fields[4]), {} };
    for (std::size_t i = 5; i + 1 < fields.size(); ++i) {
        if (fields[i] == "-") {
            out.fsType = std::string(fields[i + 1]);
            break;
        }
    }
    return out;
}

} // namespace offload
