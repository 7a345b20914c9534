// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/CopyEventRecord.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <limits>
#include <optional>

namespace offload {

namespace {

constexpr const char* kVersionHint = "use an offloadcp of the same version as this program";

/// Reads the fields of one JSON object of a record; the first bad field is kept in `error`
/// and every later read returns the default.
class FieldReader {
public:
    FieldReader(const nlohmann::json& object, std::string prefix, std::optional<Error>& error)
        : m_object(object)
        , m_prefix(std::move(prefix))
        , m_error(error)
    {
    }

    /// A count that fits T (unsigned); 0 when missing or null.
    template <class T> T count(const char* key) { return optionalCount<T>(key).value_or(T{}); }

    template <class T> std::optional<T> optionalCount(const char* key)
    {
        const nlohmann::json* v = find(key);
        if (!v)
            return std::nullopt;
        if (v->is_number_unsigned()) {
            const uint64_t n = v->get<uint64_t>();
            if (n <= std::numeric_limits<T>::max())
                return static_cast<T>(n);
        }
        refuse(key, *v, "not a count from 0 to " + std::to_string(std::numeric_limits<T>::max()));
        return std::nullopt;
    }

    /// A signed int (errno); 0 when missing or null.
    int integer(const char* key)
    {
        const nlohmann::json* v = find(key);
        if (!v)
            return 0;
        if (v->is_number_unsigned() && v->get<uint64_t>() <= uint64_t(INT_MAX))
            return static_cast<int>(v->get<uint64_t>());
        if (v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() >= INT_MIN)
            return static_cast<int>(v->get<int64_t>());
        refuse(key, *v, "not an integer from " + std::to_string(INT_MIN) + " to " + std::to_string(INT_MAX));
        return 0;
    }

    /// Seconds or a rate: any JSON number; 0 (nullopt) when missing or null.
    double number(const char* key) { return optionalNumber(key).value_or(0.0); }
    std::optional<double> optionalNumber(const char* key)
    {
        const nlohmann::json* v = find(key);
        if (!v)
            return std::nullopt;
        if (v->is_number())
            return v->get<double>();
        refuse(key, *v, "not a number");
        return std::nullopt;
    }

    std::string text(const char* key)
    {
        const nlohmann::json* v = find(key);
        if (!v)
            return {};
        if (v->is_string())
            return v->get<std::string>();
        refuse(key, *v, "not a string");
        return {};
    }

    bool flag(const char* key)
    {
        const nlohmann::json* v = find(key);
        if (!v)
            return false;
        if (v->is_boolean())
            return v->get<bool>();
        refuse(key, *v, "not true or false");
        return false;
    }

    /// A nested object; an empty one when missing or null.
    FieldReader object(const char* key)
    {
        static const nlohmann::json empty = nlohmann::json::object();
        const nlohmann::json* v = find(key);
        if (v && !v->is_object())
            refuse(key, *v, "not an object");
        return FieldReader(v && v->is_object() ? *v : empty, m_prefix + key + ".", m_error);
    }

    bool has(const char* key) { return find(key) != nullptr; }

private:
    const nlohmann::json* find(const char* key) const
    {
        if (m_error)
            return nullptr;
        const auto it = m_object.find(key);
        return it == m_object.end() || it->is_null() ? nullptr : &*it;
    }

    void refuse(const char* key, const nlohmann::json& value, const std::string& why)
    {
        if (m_error)
            return;
        std::string shown = value.dump();
        if (shown.size() > 40)
            shown = shown.substr(0, 37) + "...";
        m_error = Error::make(Errc::Corrupt, {}, "offloadcp copy printed " + m_prefix + key + " = " + shown + ": " + why,
                              kVersionHint);
    }

    const nlohmann::json& m_object;
    std::string m_prefix;
    std::optional<Error>& m_error;
};

BytesByMethod bytesByMethod(FieldReader reader)
{
    BytesByMethod out{};
    for (std::size_t m = 0; m < kCopyMethodCount; ++m)
        out[m] = reader.count<uint64_t>(toString(static_cast<CopyMethod>(m)));
    return out;
}

Error errorFrom(FieldReader reader)
{
    static constexpr Errc codes[] = {Errc::System,      Errc::NvmeStatus, Errc::ScsiSense, Errc::InvalidArgument,
                                     Errc::NotFound,    Errc::PermissionDenied, Errc::Unsupported, Errc::Busy,
                                     Errc::Cancelled,   Errc::Corrupt,    Errc::Internal};
    Error e;
    const std::string code = reader.text("code");
    for (Errc c : codes)
        if (code == toString(c))
            e.code = c;
    e.device = reader.text("device");
    e.what = reader.text("message");
    e.lba = reader.optionalCount<uint64_t>("lba");
    e.sysErrno = reader.integer("errno");
    return e;
}

} // namespace

Result<CopyEventRecord> parseCopyEventRecord(std::string_view line)
{
    const nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return std::unexpected(Error::make(Errc::Corrupt, {}, "offloadcp copy printed a line that is no JSON object",
                                           kVersionHint));
    std::optional<Error> error;
    FieldReader o(doc, {}, error);
    CopyEventRecord r;
    r.event = o.text("event");
    if (r.event == "progress") {
        r.kind = CopyEventRecord::Kind::Progress;
        CopyProgress& p = r.progress;
        p.totalBytes = o.count<uint64_t>("bytes_total");
        p.doneBytes = o.count<uint64_t>("bytes_done");
        p.offloadedBytes = o.count<uint64_t>("bytes_offloaded");
        p.hostBytes = o.count<uint64_t>("bytes_host");
        p.bytesByMethod = bytesByMethod(o.object("bytes_by_method"));
        p.bytesPerSecond = o.number("rate_bytes_per_second");
        p.elapsedSeconds = o.number("elapsed_seconds");
        p.etaSeconds = o.optionalNumber("eta_seconds");
        p.extentsDone = o.count<std::size_t>("extents_done");
        p.extentsTotal = o.count<std::size_t>("extents_total");
        p.fallbacks = o.count<std::size_t>("fallbacks");
        p.verifying = o.flag("verifying");
    } else if (r.event == "fallback") {
        r.kind = CopyEventRecord::Kind::Fallback;
        r.plannedMethod = o.text("planned_method");
        r.srcOffset = o.count<uint64_t>("src_offset");
        r.length = o.count<uint64_t>("length");
        r.reason = o.text("reason");
    } else if (r.event == "done" || r.event == "error") {
        r.kind = r.event == "done" ? CopyEventRecord::Kind::Done : CopyEventRecord::Kind::Error;
        CopyResult& res = r.result;
        const std::string status = o.text("status");
        if (r.kind == CopyEventRecord::Kind::Error || status == "error")
            res.status = std::unexpected(errorFrom(o.object("error")));
        else if (status == "cancelled")
            res.status = std::unexpected(Error::make(Errc::Cancelled, {}, "cancelled"));
        res.totalBytes = o.count<uint64_t>("bytes_total");
        res.doneBytes = o.count<uint64_t>("bytes_done");
        res.hostBytes = o.count<uint64_t>("bytes_host");
        res.offloadedBytes = o.count<uint64_t>("bytes_offloaded");
        res.bytesByMethod = bytesByMethod(o.object("bytes_by_method"));
        res.wallSeconds = o.number("wall_seconds");
        res.copySeconds = o.number("copy_seconds");
        res.cpuUserSeconds = o.number("cpu_user_seconds");
        res.cpuSystemSeconds = o.number("cpu_system_seconds");
        if (o.has("verify")) {
            FieldReader v = o.object("verify");
            VerifyResult vr;
            vr.match = v.flag("match");
            vr.bytesCompared = v.count<uint64_t>("bytes_compared");
            vr.blockSize = v.count<uint32_t>("block_size");
            vr.firstDifferingOffset = v.optionalCount<uint64_t>("first_differing_offset");
            vr.firstDifferingDstLba = v.optionalCount<uint64_t>("first_differing_dst_lba");
            vr.firstDifferingSrcLba = v.optionalCount<uint64_t>("first_differing_src_lba");
            res.verify = vr;
        }
    }
    r.invalid = std::move(error);
    return r;
}

} // namespace offload
