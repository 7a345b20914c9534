// SPDX-License-Identifier: GPL-2.0-or-later
// The libsgutils2 adapter: the only file that includes sg3_utils headers. Every command
// goes through sg3_utils' pass-through object (construct_scsi_pt_obj_with_fd / do_scsi_pt)
// to the leaf LUN's block node, opened by dev_t, so that sense data can be decoded with
// sg_lib into Error::scsi.
#include "transport/DeviceNode.h"
#include "transport/ScsiTransport.h"

#include <scsi/sg_lib.h>
#include <scsi/sg_pt.h>

#include <array>
#include <cstdio>
#include <cerrno>
#include <fcntl.h>
#include <memory>

namespace offload {

namespace {

constexpr int kShortTimeoutSecs = 30;
constexpr int kCopyTimeoutSecs = 300; // an EXTENDED COPY segment may move 256 MiB or more
constexpr uint16_t kInquiryAllocation = 255;
constexpr uint16_t kVpdAllocation = 4096;
constexpr uint32_t kCopyResultsAllocation = 1024; // LIO wants at least 54 bytes

struct PtObjectDeleter {
    void operator()(sg_pt_base* p) const { destruct_scsi_pt_obj(p); }
};
using PtObject = std::unique_ptr<sg_pt_base, PtObjectDeleter>;

void putBe16(uint8_t* p, uint32_t v)
{
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

void putBe32(uint8_t* p, uint32_t v)
{
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

enum class Direction { None, In, Out };

class SgUtilsTransport final : public ScsiTransport {
public:
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override
    {
        std::array<uint8_t, 6> cdb{0x12, 0, 0, 0, 0, 0};
        putBe16(&cdb[3], kInquiryAllocation);
        return dataIn(lun, cdb, kInquiryAllocation, "INQUIRY");
    }

    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        std::array<uint8_t, 6> cdb{0x12, 0x01, page, 0, 0, 0};
        putBe16(&cdb[3], kVpdAllocation);
        char what[32];
        std::snprintf(what, sizeof what, "INQUIRY VPD page 0x%02x", page);
        auto data = dataIn(lun, cdb, kVpdAllocation, what);
        if (data && (data->size() < 4 || (*data)[1] != page))
            return std::unexpected(Error::make(Errc::Corrupt, lun.name,
                                               std::string(what) + " returned a different page or none"));
        return data;
    }

    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        return receiveCopyResults(lun, 0x03, 0);
    }

    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& parameterList) override
    {
        if (parameterList.empty() || parameterList.size() > 0xffffffffu)
            return std::unexpected(Error::make(Errc::InvalidArgument, lun.name,
                                               "EXTENDED COPY needs a parameter list"));
        // EXTENDED COPY (LID1): opcode 83h, service action 00h, PARAMETER LIST LENGTH in 10-13.
        std::array<uint8_t, 16> cdb{};
        cdb[0] = 0x83;
        cdb[1] = 0x00;
        putBe32(&cdb[10], static_cast<uint32_t>(parameterList.size()));
        std::vector<uint8_t> out = parameterList;
        auto r = run(lun, O_RDWR, cdb, Direction::Out, out, kCopyTimeoutSecs, "EXTENDED COPY");
        if (!r)
            return std::unexpected(r.error());
        return {};
    }

    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t serviceAction,
                                                    uint8_t listId) override
    {
        // RECEIVE COPY RESULTS / THIRD-PARTY COPY IN: opcode 84h, service action in byte 1
        // bits 4:0, LIST IDENTIFIER byte 2, ALLOCATION LENGTH bytes 10-13.
        std::array<uint8_t, 16> cdb{};
        cdb[0] = 0x84;
        cdb[1] = serviceAction & 0x1fu;
        cdb[2] = listId;
        putBe32(&cdb[10], kCopyResultsAllocation);
        char what[48];
        std::snprintf(what, sizeof what, "RECEIVE COPY RESULTS (service action 0x%02x)", serviceAction);
        return dataIn(lun, cdb, kCopyResultsAllocation, what);
    }

private:
    template <std::size_t N>
    Result<std::vector<uint8_t>> dataIn(const BlockDevice& lun, const std::array<uint8_t, N>& cdb,
                                        uint32_t allocation, const std::string& what)
    {
        std::vector<uint8_t> buffer(allocation, 0);
        auto r = run(lun, O_RDONLY, cdb, Direction::In, buffer, kShortTimeoutSecs, what);
        if (!r)
            return std::unexpected(r.error());
        buffer.resize(*r);
        return buffer;
    }

    /// Sends one CDB; returns the number of bytes transferred in (data-in) or the list size.
    template <std::size_t N>
    Result<std::size_t> run(const BlockDevice& lun, int openFlags, const std::array<uint8_t, N>& cdb,
                            Direction direction, std::vector<uint8_t>& buffer, int timeoutSecs,
                            const std::string& what)
    {
        if (lun.kind != DeviceKind::ScsiDisk)
            return std::unexpected(Error::make(
                Errc::InvalidArgument, lun.name,
                std::string("refusing SCSI passthrough: this is a ") + toString(lun.kind) + ", not a SCSI disk",
                "Commands go to the leaf LUN with translated LBAs, never to a partition or dm node"));
        // Kept open for the transport's life: read-only commands (INQUIRY, RECEIVE COPY ...)
        // share a read-only descriptor, EXTENDED COPY a read-write one.
        auto opened = m_nodes.get(lun, openFlags | O_NONBLOCK);
        if (!opened)
            return std::unexpected(opened.error());
        const int node = *opened;

        PtObject pt(construct_scsi_pt_obj_with_fd(node, 0));
        if (!pt)
            return std::unexpected(Error::make(Errc::System, lun.name, "cannot allocate a SCSI pass-through object"));
        if (const int err = get_scsi_pt_os_err(pt.get()); err != 0)
            return std::unexpected(Error::sys(err, lun.name, what + ": the node does not take SCSI pass-through"));

        std::array<uint8_t, 64> sense{};
        set_scsi_pt_cdb(pt.get(), cdb.data(), static_cast<int>(cdb.size()));
        set_scsi_pt_sense(pt.get(), sense.data(), static_cast<int>(sense.size()));
        if (direction == Direction::In)
            set_scsi_pt_data_in(pt.get(), buffer.data(), static_cast<int>(buffer.size()));
        else if (direction == Direction::Out)
            set_scsi_pt_data_out(pt.get(), buffer.data(), static_cast<int>(buffer.size()));

        const int res = do_scsi_pt(pt.get(), -1, timeoutSecs, 0);
        if (res < 0) {
            Error e = Error::sys(-res, lun.name, what + " could not be sent");
            if (e.code == Errc::PermissionDenied)
                e.hint = "Run offloadcp as root: SCSI pass-through needs CAP_SYS_RAWIO";
            return std::unexpected(e);
        }
        if (res == SCSI_PT_DO_TIMEOUT)
            return std::unexpected(Error::sys(ETIMEDOUT, lun.name, what + " timed out"));
        if (res != 0)
            return std::unexpected(Error::make(Errc::Internal, lun.name,
                                               what + ": sg3_utils rejected the request (" + std::to_string(res) + ")"));

        switch (get_scsi_pt_result_category(pt.get())) {
        case SCSI_PT_RESULT_GOOD:
            break;
        case SCSI_PT_RESULT_SENSE: {
            const int senseLength = get_scsi_pt_sense_len(pt.get());
            const int key = sg_get_sense_key(sense.data(), senseLength);
            // NO SENSE and RECOVERED ERROR report a command that completed.
            if (key == 0 || key == 1)
                break;
            return std::unexpected(senseError(lun, what, sense.data(), senseLength,
                                              get_scsi_pt_status_response(pt.get())));
        }
        case SCSI_PT_RESULT_STATUS: {
            Error e = Error::make(Errc::ScsiSense, lun.name, what + " failed with a SCSI status");
            ScsiSense s;
            s.status = static_cast<uint8_t>(get_scsi_pt_status_response(pt.get()));
            e.scsi = s;
            return std::unexpected(e);
        }
        case SCSI_PT_RESULT_TRANSPORT_ERR: {
            char text[256];
            get_scsi_pt_transport_err_str(pt.get(), sizeof text, text);
            // sg3_utils puts each status on its own line: one message is one line
            std::string status(text);
            while (!status.empty() && (status.back() == '\n' || status.back() == ' '))
                status.pop_back();
            for (std::size_t at = status.find('\n'); at != std::string::npos; at = status.find('\n', at))
                status.replace(at, 1, ", ");
            return std::unexpected(Error::make(Errc::System, lun.name, what + ": transport error: " + status));
        }
        case SCSI_PT_RESULT_OS_ERR:
        default:
            return std::unexpected(Error::sys(get_scsi_pt_os_err(pt.get()), lun.name, what + " failed"));
        }
        if (direction != Direction::In)
            return buffer.size();
        const int resid = get_scsi_pt_resid(pt.get());
        if (resid < 0 || static_cast<std::size_t>(resid) > buffer.size())
            return std::unexpected(Error::make(Errc::Corrupt, lun.name, what + ": nonsensical residual count"));
        return buffer.size() - static_cast<std::size_t>(resid);
    }

    static Error senseError(const BlockDevice& lun, const std::string& what, const uint8_t* sense, int length,
                            int status)
    {
        ScsiSense s;
        s.status = static_cast<uint8_t>(status < 0 ? 0x02 : status);
        sg_scsi_sense_hdr header{};
        if (sg_scsi_normalize_sense(sense, length, &header)) {
            s.key = header.sense_key;
            s.asc = header.asc;
            s.ascq = header.ascq;
        }
        uint64_t information = 0;
        if (sg_get_sense_info_fld(sense, length, &information))
            s.information = information;
        uint64_t commandSpecific = 0;
        if (sg_get_sense_cmd_spec_fld(sense, length, &commandSpecific))
            s.commandSpecific = static_cast<uint32_t>(commandSpecific);
        Error e = Error::make(Errc::ScsiSense, lun.name, what + " failed");
        e.scsi = s;
        return e;
    }

    OpenNodes m_nodes;
};

} // namespace

std::unique_ptr<ScsiTransport> makeSgUtilsTransport()
{
    return std::make_unique<SgUtilsTransport>();
}

} // namespace offload
