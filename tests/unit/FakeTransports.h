// SPDX-License-Identifier: GPL-2.0-or-later
// Transport fakes for unit tests: they record the exact bytes every call would have sent
// and answer with scripted replies (success, an NVMe status with DW0, SCSI sense, an
// errno). Thread-safe, so a job that runs several commands at once can use them.
#pragma once

#include "topology/BlockDevice.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#include "util/Error.h"

#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace offload::test {

/// Scripted answers for a device call. Empty queue: success.
class Script {
public:
    void push(Status reply) { m_replies.push_back(std::move(reply)); }
    Status next()
    {
        if (m_replies.empty())
            return {};
        Status reply = std::move(m_replies.front());
        m_replies.pop_front();
        return reply;
    }
    std::size_t pending() const { return m_replies.size(); }
private:
    std::deque<Status> m_replies;
};

/// An NVMe completion with a status (and DW0), as the libnvme transport reports it.
inline Error nvmeStatusError(uint8_t sct, uint8_t sc, uint32_t dw0 = 0, bool dnr = false)
{
    Error e = Error::make(Errc::NvmeStatus, {}, "NVMe Copy completed with an error");
    NvmeStatus s;
    s.sct = sct;
    s.sc = sc;
    s.dw0 = dw0;
    s.dnr = dnr;
    e.nvme = s;
    return e;
}

/// A failed ioctl.
inline Error errnoError(int err)
{
    return Error::sys(err, {}, "passthrough ioctl failed");
}

/// CHECK CONDITION with decoded sense data.
inline Error senseError(uint8_t key, uint8_t asc, uint8_t ascq, std::optional<uint64_t> information = std::nullopt,
                        std::optional<uint32_t> commandSpecific = std::nullopt)
{
    Error e = Error::make(Errc::ScsiSense, {}, "CHECK CONDITION");
    ScsiSense s;
    s.status = 0x02;
    s.key = key;
    s.asc = asc;
    s.ascq = ascq;
    s.information = information;
    s.commandSpecific = commandSpecific;
    e.scsi = s;
    return e;
}

/// One call as the fake saw it.
struct RecordedNvmeCopy {
    std::string device; ///< kernel name (for messages in test failures)
    DevNum devnum;
    DeviceKind kind = DeviceKind::Other;
    NvmeCopyCommand command;
};

class FakeNvmeTransport : public NvmeTransport {
public:
    // ---- scripting -------------------------------------------------------------------
    void replySuccess()
    {
        auto guard = lock();
        m_copyScript.push({});
    }
    void replyNvmeStatus(uint8_t sct, uint8_t sc, uint32_t dw0 = 0, bool dnr = false)
    {
        auto guard = lock();
        m_copyScript.push(std::unexpected(nvmeStatusError(sct, sc, dw0, dnr)));
    }
    void replyErrno(int err)
    {
        auto guard = lock();
        m_copyScript.push(std::unexpected(errnoError(err)));
    }
    void replyError(Error error)
    {
        auto guard = lock();
        m_copyScript.push(std::unexpected(std::move(error)));
    }
    /// Identify data returned for a device (by dev_t); missing: Errc::NotFound.
    void setIdentifyController(DevNum dev, std::vector<uint8_t> data)
    {
        auto guard = lock();
        m_controller[dev] = std::move(data);
    }
    void setIdentifyNamespace(DevNum dev, std::vector<uint8_t> data)
    {
        auto guard = lock();
        m_namespace[dev] = std::move(data);
    }

    /// Host Behavior Support as Get Features returns it (default: 512 zero bytes). A
    /// successful Set Features replaces it.
    void setHostBehaviorData(std::vector<uint8_t> data)
    {
        auto guard = lock();
        m_hostBehavior = std::move(data);
    }
    /// Every later Get (or Set) Features Host Behavior Support answers this error.
    void refuseGetHostBehavior(Error error)
    {
        auto guard = lock();
        m_getRefusal = std::move(error);
    }
    void refuseSetHostBehavior(Error error)
    {
        auto guard = lock();
        m_setRefusal = std::move(error);
    }

    // ---- observation -----------------------------------------------------------------
    /// The data of every Set Features Host Behavior Support, refused or not.
    std::vector<std::vector<uint8_t>> hostBehaviorSets() const
    {
        auto guard = lock();
        return m_hostBehaviorSets;
    }
    std::size_t hostBehaviorGets() const
    {
        auto guard = lock();
        return m_hostBehaviorGets;
    }
    std::vector<RecordedNvmeCopy> copies() const
    {
        auto guard = lock();
        return m_copies;
    }
    std::size_t copyCount() const
    {
        auto guard = lock();
        return m_copies.size();
    }
    std::size_t identifyCount() const
    {
        auto guard = lock();
        return m_identifyCalls;
    }

    // ---- NvmeTransport ---------------------------------------------------------------
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        auto guard = lock();
        ++m_identifyCalls;
        return find(m_controller, ns, "Identify Controller");
    }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        auto guard = lock();
        ++m_identifyCalls;
        return find(m_namespace, ns, "Identify Namespace");
    }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand& command) override
    {
        auto guard = lock();
        m_copies.push_back({ns.name, ns.devnum, ns.kind, command});
        return m_copyScript.next();
    }
    Result<std::vector<uint8_t>> getHostBehavior(const BlockDevice&) override
    {
        auto guard = lock();
        ++m_hostBehaviorGets;
        if (m_getRefusal)
            return std::unexpected(*m_getRefusal);
        return m_hostBehavior;
    }
    Status setHostBehavior(const BlockDevice&, const std::vector<uint8_t>& data) override
    {
        auto guard = lock();
        m_hostBehaviorSets.push_back(data);
        if (m_setRefusal)
            return std::unexpected(*m_setRefusal);
        m_hostBehavior = data;
        return {};
    }

private:
    std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(m_mutex); }
    static Result<std::vector<uint8_t>> find(const std::map<DevNum, std::vector<uint8_t>>& map,
                                             const BlockDevice& ns, const char* what)
    {
        auto it = map.find(ns.devnum);
        if (it == map.end())
            return std::unexpected(Error::make(Errc::NotFound, ns.name, std::string("no scripted ") + what));
        return it->second;
    }

    mutable std::mutex m_mutex;
    Script m_copyScript;
    std::vector<RecordedNvmeCopy> m_copies;
    std::map<DevNum, std::vector<uint8_t>> m_controller;
    std::map<DevNum, std::vector<uint8_t>> m_namespace;
    std::size_t m_identifyCalls = 0;
    std::vector<uint8_t> m_hostBehavior = std::vector<uint8_t>(512, 0);
    std::optional<Error> m_getRefusal;
    std::optional<Error> m_setRefusal;
    std::vector<std::vector<uint8_t>> m_hostBehaviorSets;
    std::size_t m_hostBehaviorGets = 0;
};

struct RecordedExtendedCopy {
    std::string device;
    DevNum devnum;
    DeviceKind kind = DeviceKind::Other;
    std::vector<uint8_t> parameterList;
};

struct RecordedReceiveCopyResults {
    std::string device;
    DevNum devnum;
    uint8_t serviceAction = 0;
    uint8_t listId = 0;
};

class FakeScsiTransport : public ScsiTransport {
public:
    // ---- scripting -------------------------------------------------------------------
    void replySuccess()
    {
        auto guard = lock();
        m_xcopyScript.push({});
    }
    void replySense(uint8_t key, uint8_t asc, uint8_t ascq, std::optional<uint64_t> information = std::nullopt,
                    std::optional<uint32_t> commandSpecific = std::nullopt)
    {
        auto guard = lock();
        m_xcopyScript.push(std::unexpected(senseError(key, asc, ascq, information, commandSpecific)));
    }
    void replyErrno(int err)
    {
        auto guard = lock();
        m_xcopyScript.push(std::unexpected(errnoError(err)));
    }
    /// Answers to RECEIVE COPY RESULTS, in order; empty: ILLEGAL REQUEST, invalid field in CDB
    /// (what LIO answers for anything but operating parameters with list id 0).
    void replyCopyResults(Result<std::vector<uint8_t>> reply)
    {
        auto guard = lock();
        m_resultsScript.push_back(std::move(reply));
    }
    void setInquiry(DevNum dev, std::vector<uint8_t> data)
    {
        auto guard = lock();
        m_inquiry[dev] = std::move(data);
    }
    void setVpd(DevNum dev, uint8_t page, std::vector<uint8_t> data)
    {
        auto guard = lock();
        m_vpd[{dev, page}] = std::move(data);
    }
    void setOperatingParameters(DevNum dev, std::vector<uint8_t> data)
    {
        auto guard = lock();
        m_rcop[dev] = std::move(data);
    }

    // ---- observation -----------------------------------------------------------------
    std::vector<RecordedExtendedCopy> extendedCopies() const
    {
        auto guard = lock();
        return m_xcopies;
    }
    std::vector<RecordedReceiveCopyResults> receiveCopyResultsCalls() const
    {
        auto guard = lock();
        return m_results;
    }

    // ---- ScsiTransport ---------------------------------------------------------------
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override
    {
        auto guard = lock();
        auto it = m_inquiry.find(lun.devnum);
        if (it == m_inquiry.end())
            return std::unexpected(Error::make(Errc::NotFound, lun.name, "no scripted INQUIRY"));
        return it->second;
    }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        auto guard = lock();
        auto it = m_vpd.find({lun.devnum, page});
        if (it == m_vpd.end())
            return std::unexpected(senseError(0x05, 0x24, 0x00));
        return it->second;
    }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        auto guard = lock();
        auto it = m_rcop.find(lun.devnum);
        if (it == m_rcop.end())
            return std::unexpected(senseError(0x05, 0x20, 0x00));
        return it->second;
    }
    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& parameterList) override
    {
        auto guard = lock();
        m_xcopies.push_back({lun.name, lun.devnum, lun.kind, parameterList});
        return m_xcopyScript.next();
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t serviceAction,
                                                    uint8_t listId) override
    {
        auto guard = lock();
        m_results.push_back({lun.name, lun.devnum, serviceAction, listId});
        if (m_resultsScript.empty())
            return std::unexpected(senseError(0x05, 0x24, 0x00));
        auto reply = std::move(m_resultsScript.front());
        m_resultsScript.pop_front();
        return reply;
    }

private:
    std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(m_mutex); }

    mutable std::mutex m_mutex;
    Script m_xcopyScript;
    std::deque<Result<std::vector<uint8_t>>> m_resultsScript;
    std::vector<RecordedExtendedCopy> m_xcopies;
    std::vector<RecordedReceiveCopyResults> m_results;
    std::map<DevNum, std::vector<uint8_t>> m_inquiry;
    std::map<std::pair<DevNum, uint8_t>, std::vector<uint8_t>> m_vpd;
    std::map<DevNum, std::vector<uint8_t>> m_rcop;
};

} // namespace offload::test
