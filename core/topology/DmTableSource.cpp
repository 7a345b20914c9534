// SPDX-License-Identifier: GPL-2.0-or-later
// `dmsetup table` text: the parser and the fixture-file table source.
#include "topology/Topology.h"
#include "util/FileTree.h"

#include <cerrno>

#include <charconv>
#include <map>
#include <optional>

namespace offload {

namespace {

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

/// Splits off the next whitespace-separated word.
std::string_view nextWord(std::string_view& text)
{
    text = trim(text);
    const auto end = text.find_first_of(" \t");
    const auto word = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end);
    return word;
}

bool parseNumber(std::string_view word, uint64_t& out)
{
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
    return ec == std::errc{} && ptr == word.data() + word.size() && !word.empty();
}

class DmsetupTextSource final : public DmTableSource {
public:
    explicit DmsetupTextSource(const std::filesystem::path& file)
        : m_file(file)
    {
        // Read within its own folder (the fixture): a link that leads out is not followed.
        int err = ENOENT;
        std::optional<std::string> text;
        if (auto folder = FileTree::below(file.has_parent_path() ? file.parent_path() : "."))
            text = folder->readAll(file, err, 64u << 20);
        if (!text && err == EXDEV) {
            // Not a missing capture: each dm device's table is unreadable (a warning each).
            m_refused = file.string() + " is a link that leads out of its folder (not followed)";
            return;
        }
        if (!text) {
            m_unavailable = "no device-mapper table capture (" + file.string() + ")";
            return;
        }
        auto parsed = parseDmsetupTable(*text);
        if (!parsed) {
            m_unavailable = parsed.error().message();
            return;
        }
        for (auto& [name, segment] : *parsed) {
            auto& table = m_tables[name];
            if (!segment.target.empty())
                table.push_back(std::move(segment));
        }
    }

    std::string unavailableReason() const override { return m_unavailable; }

    Result<std::vector<DmSegment>> table(DevNum devnum, const std::string& name) override
    {
        if (!m_unavailable.empty())
            return std::unexpected(Error::make(Errc::Unsupported, name, m_unavailable));
        if (!m_refused.empty())
            return std::unexpected(Error::make(Errc::PermissionDenied, name, "cannot read the table: " + m_refused));
        auto it = m_tables.find(name);
        if (it == m_tables.end())
            return std::unexpected(Error::make(Errc::NotFound, name + " (" + devnum.str() + ")",
                                               "not in " + m_file.string()));
        return it->second;
    }

private:
    std::filesystem::path m_file;
    std::string m_unavailable;
    std::string m_refused; ///< the capture is a link out of its folder
    std::map<std::string, std::vector<DmSegment>> m_tables;
};

} // namespace

Result<std::vector<std::pair<std::string, DmSegment>>> parseDmsetupTable(std::string_view text)
{
    std::vector<std::pair<std::string, DmSegment>> out;
    std::size_t lineNumber = 0;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        ++lineNumber;
        line = trim(line);
        if (line.empty() || line == "No devices found")
            continue;
        auto bad = [&](const std::string& why) {
            return std::unexpected(Error::make(Errc::Corrupt, "dmsetup table",
                                               "line " + std::to_string(lineNumber) + " (\"" +
                                                   std::string(line) + "\"): " + why));
        };
        // "name: start length target params"; a device without a table prints "name: ".
        const auto colon = line.find(": ");
        std::string_view name;
        std::string_view rest;
        if (colon == std::string_view::npos) {
            if (line.back() != ':')
                return bad("expected \"<name>: <start> <length> <target> [<params>]\"");
            name = line.substr(0, line.size() - 1);
        } else {
            name = line.substr(0, colon);
            rest = line.substr(colon + 2);
        }
        if (name.empty())
            return bad("missing device name");
        DmSegment seg;
        rest = trim(rest);
        if (!rest.empty()) {
            if (!parseNumber(nextWord(rest), seg.start))
                return bad("start sector is not a number");
            if (!parseNumber(nextWord(rest), seg.length))
                return bad("length is not a number");
            seg.target = std::string(nextWord(rest));
            if (seg.target.empty())
                return bad("missing target type");
            seg.params = std::string(trim(rest));
        }
        out.emplace_back(std::string(name), std::move(seg));
    }
    return out;
}

std::unique_ptr<DmTableSource> makeDmsetupTextSource(const std::filesystem::path& file)
{
    return std::make_unique<DmsetupTextSource>(file);
}

} // namespace offload
