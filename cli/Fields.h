// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

// The output field machinery: one typed table of fields (id, header, JSON key, type,
// getter) per subcommand, from which both the text table and the JSON are produced, the
// way lsblk describes its columns once. A subcommand never prints a value by hand.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace offload::cli {

/// How a value is shown. JSON always carries the raw value (bytes as a number, a share
/// as a fraction); the text table formats it for people.
enum class FieldType {
    Text,      ///< a string
    Count,     ///< an unsigned integer, shown in decimal
    Hex,       ///< an unsigned integer, shown as 0x.. in text, a number in JSON
    Bytes,     ///< a size in bytes: "256G" in text, the byte count in JSON
    Share,     ///< a fraction in [0, 1]: "75%" in text, 0.75 in JSON
    Flag,      ///< a boolean: "yes"/"no" in text
    List,      ///< strings: joined with "; " in text, an array in JSON
    KeyValues, ///< named scalars: "k=v k=v" in text, an object in JSON
};

enum class Align { Left, Right };

/// One named scalar inside a KeyValues value, with its own text and JSON names.
struct KeyValue {
    std::string textKey;   ///< short, for the table ("mssrl")
    std::string jsonKey;   ///< descriptive, for JSON ("max_single_source_range_length")
    FieldType type = FieldType::Count; ///< Text, Count, Hex, Bytes or Flag
    std::variant<std::string, uint64_t, bool> value;
};

/// A value a getter returns; monostate means "not applicable" (blank / null).
using FieldValue = std::variant<std::monostate, std::string, uint64_t, double, bool,
                                std::vector<std::string>, std::vector<KeyValue>>;

/// Formats a value for the text table.
std::string fieldText(FieldType type, const FieldValue& value);
/// Converts a value to JSON.
nlohmann::ordered_json fieldJson(FieldType type, const FieldValue& value);
/// Sizes the way lsblk shows them: "256G", "1.5M", "512B".
std::string compactBytes(uint64_t bytes);
/// Display width of UTF-8 text (code points; tree glyphs count as one).
std::size_t displayWidth(std::string_view text);

/// Describes one output field for rows of type Row.
template <class Row> struct Field {
    std::string_view id;       ///< for -o (case-insensitive)
    std::string_view header;   ///< column header in the text table
    std::string_view jsonKey;  ///< key in the JSON object
    FieldType type = FieldType::Text;
    bool byDefault = false;    ///< shown in the default text table
    bool inLong = false;       ///< added by --long
    Align align = Align::Left;
    std::string_view help;     ///< one line for --help's column list
    std::function<FieldValue(const Row&)> get;
};

/// A plain table ready to print: headers, alignments and cell texts.
struct TextTable {
    std::vector<std::string> headers;
    std::vector<Align> aligns;
    std::vector<std::vector<std::string>> rows;
    /// Pads every column but the last; separates columns with one space; no trailing blanks.
    std::string render() const;
};

/// The field table of one subcommand.
template <class Row> class FieldTable {
public:
    explicit FieldTable(std::vector<Field<Row>> fields) : m_fields(std::move(fields)) {}

    const std::vector<Field<Row>>& fields() const { return m_fields; }

    /// Columns for the text table: the defaults (+ --long ones), or a user list
    /// "name,size" (replaces) / "+serial,nsid" (appends). nullopt and `unknown` set when
    /// a name does not exist.
    std::optional<std::vector<std::size_t>> columns(bool withLong, const std::string& userList,
                                                    std::string& unknown) const
    {
        std::vector<std::size_t> out;
        std::string list = userList;
        const bool append = !list.empty() && list.front() == '+';
        if (append)
            list.erase(0, 1);
        if (list.empty() || append) {
            for (std::size_t i = 0; i < m_fields.size(); ++i)
                if (m_fields[i].byDefault || (withLong && m_fields[i].inLong))
                    out.push_back(i);
        }
        std::size_t start = 0;
        while (start < list.size()) {
            std::size_t comma = list.find(',', start);
            if (comma == std::string::npos)
                comma = list.size();
            const std::string wanted = list.substr(start, comma - start);
            start = comma + 1;
            if (wanted.empty())
                continue;
            const std::optional<std::size_t> index = find(wanted);
            if (!index) {
                unknown = wanted;
                return std::nullopt;
            }
            if (std::find(out.begin(), out.end(), *index) == out.end())
                out.push_back(*index);
        }
        return out;
    }

    /// The text table of `rows` for `columns`; `treePrefix[i]` (tree glyphs) is put before
    /// row i's cell of the field `treeField` when that column is shown.
    TextTable text(const std::vector<Row>& rows, const std::vector<std::size_t>& columns,
                   const std::vector<std::string>& treePrefix = {}, std::size_t treeField = 0) const
    {
        TextTable table;
        for (std::size_t column : columns) {
            table.headers.emplace_back(m_fields[column].header);
            table.aligns.push_back(m_fields[column].align);
        }
        for (std::size_t r = 0; r < rows.size(); ++r) {
            std::vector<std::string> cells;
            for (std::size_t c = 0; c < columns.size(); ++c) {
                const Field<Row>& field = m_fields[columns[c]];
                std::string cell = fieldText(field.type, field.get(rows[r]));
                if (columns[c] == treeField && r < treePrefix.size())
                    cell = treePrefix[r] + cell;
                cells.push_back(std::move(cell));
            }
            table.rows.push_back(std::move(cells));
        }
        return table;
    }

    /// One JSON object per row with every field (JSON is the complete, stable view).
    nlohmann::ordered_json json(const Row& row) const
    {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        for (const Field<Row>& field : m_fields)
            object[std::string(field.jsonKey)] = fieldJson(field.type, field.get(row));
        return object;
    }

    /// "  NAME  header: help" lines for --help.
    std::string help() const
    {
        std::string out;
        for (const Field<Row>& field : m_fields) {
            std::string line = "  " + std::string(field.id);
            line.resize(std::max<std::size_t>(line.size() + 1, 16), ' ');
            out += line + std::string(field.help) + (field.byDefault ? " (default)" : field.inLong ? " (--long)" : "")
                   + "\n";
        }
        return out;
    }

private:
    std::optional<std::size_t> find(const std::string& wanted) const
    {
        for (std::size_t i = 0; i < m_fields.size(); ++i) {
            const std::string_view id = m_fields[i].id;
            if (id.size() != wanted.size())
                continue;
            bool same = true;
            for (std::size_t k = 0; k < id.size() && same; ++k)
                same = std::tolower(static_cast<unsigned char>(id[k]))
                       == std::tolower(static_cast<unsigned char>(wanted[k]));
            if (same)
                return i;
        }
        return std::nullopt;
    }

    std::vector<Field<Row>> m_fields;
};

} // namespace offload::cli
