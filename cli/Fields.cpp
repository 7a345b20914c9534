// SPDX-License-Identifier: GPL-2.0-or-later
#include "Fields.h"

#include <cmath>
#include <cstdio>

namespace offload::cli {

namespace {

std::string hexText(uint64_t value)
{
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

std::string scalarText(FieldType type, const std::variant<std::string, uint64_t, bool>& value)
{
    if (const auto* text = std::get_if<std::string>(&value))
        return *text;
    if (const auto* flag = std::get_if<bool>(&value))
        return *flag ? "yes" : "no";
    const uint64_t number = std::get<uint64_t>(value);
    switch (type) {
    case FieldType::Hex: return hexText(number);
    case FieldType::Bytes: return compactBytes(number);
    default: return std::to_string(number);
    }
}

nlohmann::ordered_json scalarJson(const std::variant<std::string, uint64_t, bool>& value)
{
    return std::visit([](const auto& v) { return nlohmann::ordered_json(v); }, value);
}

} // namespace

std::string compactBytes(uint64_t bytes)
{
    static constexpr char units[] = {'B', 'K', 'M', 'G', 'T', 'P', 'E'};
    std::size_t unit = 0;
    double value = static_cast<double>(bytes);
    while (value >= 1024.0 && unit + 1 < sizeof units) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    const double rounded = std::round(value * 10.0) / 10.0;
    if (unit == 0 || rounded == std::floor(rounded))
        std::snprintf(text, sizeof text, "%.0f%c", rounded, units[unit]);
    else
        std::snprintf(text, sizeof text, "%.1f%c", rounded, units[unit]);
    return text;
}

std::size_t displayWidth(std::string_view text)
{
    std::size_t width = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80)
            ++width;
    return width;
}

std::string fieldText(FieldType type, const FieldValue& value)
{
    if (std::holds_alternative<std::monostate>(value))
        return {};
    if (const auto* text = std::get_if<std::string>(&value))
        return *text;
    if (const auto* number = std::get_if<uint64_t>(&value)) {
        switch (type) {
        case FieldType::Hex: return hexText(*number);
        case FieldType::Bytes: return compactBytes(*number);
        default: return std::to_string(*number);
        }
    }
    if (const auto* share = std::get_if<double>(&value)) {
        char text[16];
        std::snprintf(text, sizeof text, "%.0f%%", *share * 100.0);
        return text;
    }
    if (const auto* flag = std::get_if<bool>(&value))
        return *flag ? "yes" : "no";
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
        std::string out;
        for (const std::string& item : *list)
            out += (out.empty() ? "" : "; ") + item;
        return out;
    }
    std::string out;
    for (const KeyValue& item : std::get<std::vector<KeyValue>>(value))
        out += (out.empty() ? "" : " ") + item.textKey + "=" + scalarText(item.type, item.value);
    return out;
}

nlohmann::ordered_json fieldJson(FieldType, const FieldValue& value)
{
    if (std::holds_alternative<std::monostate>(value))
        return nullptr;
    if (const auto* text = std::get_if<std::string>(&value))
        return *text;
    if (const auto* number = std::get_if<uint64_t>(&value))
        return *number;
    if (const auto* share = std::get_if<double>(&value))
        return std::round(*share * 10000.0) / 10000.0;
    if (const auto* flag = std::get_if<bool>(&value))
        return *flag;
    if (const auto* list = std::get_if<std::vector<std::string>>(&value))
        return *list;
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const KeyValue& item : std::get<std::vector<KeyValue>>(value))
        object[item.jsonKey] = scalarJson(item.value);
    return object;
}

std::string TextTable::render() const
{
    std::vector<std::size_t> widths(headers.size(), 0);
    for (std::size_t c = 0; c < headers.size(); ++c)
        widths[c] = displayWidth(headers[c]);
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
            widths[c] = std::max(widths[c], displayWidth(row[c]));

    std::string out;
    auto emit = [&](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::size_t pad = widths[c] - displayWidth(cells[c]);
            const bool last = c + 1 == cells.size();
            if (c > 0)
                line += ' ';
            if (aligns[c] == Align::Right)
                line += std::string(pad, ' ') + cells[c];
            else
                line += cells[c] + (last ? std::string() : std::string(pad, ' '));
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line + '\n';
    };
    emit(headers);
    for (const auto& row : rows)
        emit(row);
    return out;
}

} // namespace offload::cli
