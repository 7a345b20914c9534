// SPDX-License-Identifier: GPL-2.0-or-later
// `offloadcp report`: the block device tree and what each volume can offload.
#include "Cli.h"
#include "Fields.h"
#include "util/NaturalSort.h"

#include "capability/Capability.h"
#include "capability/Scan.h"
#include "capability/Verdict.h"
#include "topology/Topology.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <langinfo.h>
#include <optional>
#include <set>

namespace offload::cli {

namespace {

/// Bumped when a JSON key changes meaning or disappears (adding keys does not bump it).
constexpr int kReportSchemaVersion = 1;

/// One row of the report: a device with its capability and verdict (all owned elsewhere).
struct ReportRow {
    const Topology* topology = nullptr;
    const BlockDevice* device = nullptr;
    const DeviceCapability* capability = nullptr; ///< null when the scan has none for it
    const OffloadVerdict* verdict = nullptr;
    const CapabilitySet* capabilities = nullptr;
};

bool probed(const DeviceCapability* capability)
{
    return capability && (capability->status == ProbeStatus::Ok || capability->status == ProbeStatus::NotApplicable);
}

FieldValue textOrNull(const std::string& text)
{
    if (text.empty())
        return std::monostate{};
    return text;
}

std::string typeOf(const BlockDevice& device)
{
    switch (device.kind) {
    case DeviceKind::NvmeNamespace: return "nvme";
    case DeviceKind::ScsiDisk: return "scsi";
    case DeviceKind::Partition: return "part";
    case DeviceKind::Loop: return "loop";
    case DeviceKind::Other: return device.driverHint.empty() ? std::string("other") : device.driverHint;
    case DeviceKind::DeviceMapper: break;
    }
    std::vector<std::string> targets;
    if (device.dm)
        for (const DmSegment& segment : device.dm->table)
            if (std::find(targets.begin(), targets.end(), segment.target) == targets.end())
                targets.push_back(segment.target);
    std::string type = "dm";
    for (std::size_t i = 0; i < targets.size(); ++i)
        type += (i == 0 ? "-" : "+") + targets[i];
    return type;
}

/// The capability whose limits describe `row`: its own, or its only leaf's.
const DeviceCapability* limitsSource(const ReportRow& row)
{
    const CapabilitySet& capabilities = *row.capabilities;
    if (row.device->isLeaf())
        return row.capability;
    if (row.verdict->leaves.size() == 1 && row.verdict->leaves.front() < capabilities.devices.size())
        return &capabilities.devices[row.verdict->leaves.front()];
    return nullptr;
}

FieldValue limitsOf(const DeviceCapability* capability)
{
    if (!capability || capability->status != ProbeStatus::Ok)
        return std::monostate{};
    std::vector<KeyValue> limits;
    if (capability->mechanism == CopyMechanism::NvmeCopy && capability->nvme) {
        const NvmeCopyCaps& nvme = *capability->nvme;
        limits.push_back({"mssrl", "mssrl", FieldType::Count, uint64_t{nvme.mssrl}});
        limits.push_back({"mcl", "mcl", FieldType::Count, uint64_t{nvme.mcl}});
        limits.push_back({"msrc", "msrc", FieldType::Count, uint64_t{nvme.msrc}});
    } else if (capability->mechanism == CopyMechanism::ScsiXcopy && capability->scsi) {
        const ScsiCopyCaps& scsi = *capability->scsi;
        if (scsi.rcopKnown) {
            limits.push_back({"seg", "max_segment_descriptors", FieldType::Count, uint64_t{scsi.maxSegmentDescriptors}});
            limits.push_back({"cscd", "max_cscd_descriptors", FieldType::Count, uint64_t{scsi.maxCscdDescriptors}});
            if (scsi.maxSegmentLength != 0)
                limits.push_back({"maxseg", "max_segment_length", FieldType::Bytes, uint64_t{scsi.maxSegmentLength}});
        }
    }
    if (limits.empty())
        return std::monostate{};
    return limits;
}

FieldValue capabilityOf(const DeviceCapability* capability)
{
    if (!capability)
        return std::monostate{};
    std::vector<KeyValue> out;
    out.push_back({"status", "status", FieldType::Text, std::string(toString(capability->status))});
    out.push_back({"mechanism", "mechanism", FieldType::Text, std::string(toString(capability->mechanism))});
    if (!capability->reason.empty())
        out.push_back({"reason", "reason", FieldType::Text, capability->reason});
    if (capability->nvme) {
        const NvmeCopyCaps& nvme = *capability->nvme;
        out.push_back({"oncs", "oncs", FieldType::Hex, uint64_t{nvme.oncs}});
        out.push_back({"copy", "copy", FieldType::Flag, nvme.copy});
        out.push_back({"ocfs", "ocfs", FieldType::Hex, uint64_t{nvme.ocfs}});
        out.push_back({"lba", "lba_bytes", FieldType::Count, uint64_t{nvme.lbaBytes}});
        out.push_back({"cntlid", "controller_id", FieldType::Count, uint64_t{nvme.controllerId}});
        // The planner's protection information check reads these (parseReportCapabilities too).
        out.push_back({"dps", "dps", FieldType::Hex, uint64_t{nvme.dps}});
        out.push_back({"metadata", "metadata_bytes", FieldType::Count, uint64_t{nvme.metadataBytes}});
    }
    if (capability->scsi) {
        const ScsiCopyCaps& scsi = *capability->scsi;
        std::string naa;
        static constexpr char digits[] = "0123456789abcdef";
        for (uint8_t byte : scsi.naaDesignator) {
            naa += digits[byte >> 4];
            naa += digits[byte & 0xF];
        }
        out.push_back({"3pc", "three_pc", FieldType::Flag, scsi.threePC});
        if (!naa.empty())
            out.push_back({"naa", "naa_designator", FieldType::Text, naa});
        out.push_back({"tpc-vpd", "tpc_vpd_present", FieldType::Flag, scsi.tpcVpdPresent});
        out.push_back({"rcop", "copy_parameters_known", FieldType::Flag, scsi.rcopKnown});
        out.push_back({"block", "block_bytes", FieldType::Count, uint64_t{scsi.blockBytes}});
        // What the planner's command split and the EXTENDED COPY list id read.
        if (scsi.rcopKnown) {
            out.push_back({"snlid", "supports_no_list_id", FieldType::Flag, scsi.supportsNoListId});
            out.push_back({"maxlist", "max_descriptor_list_length", FieldType::Count,
                           uint64_t{scsi.maxDescriptorListLength}});
        }
    }
    return out;
}

std::vector<std::string> stableIds(const Topology& topology, const std::vector<std::size_t>& indexes)
{
    std::vector<std::string> ids;
    for (std::size_t index : indexes)
        ids.push_back(topology.at(index).stableId());
    return ids;
}

const FieldTable<ReportRow>& reportFields()
{
    using F = Field<ReportRow>;
    static const FieldTable<ReportRow> table(std::vector<F>{
        {"name", "NAME", "name", FieldType::Text, true, false, Align::Left, "kernel name (dm devices: the dm name)",
         [](const ReportRow& r) -> FieldValue {
             return r.device->dm && !r.device->dm->name.empty() ? r.device->dm->name : r.device->name;
         }},
        {"kname", "KNAME", "kname", FieldType::Text, false, false, Align::Left, "kernel name",
         [](const ReportRow& r) -> FieldValue { return r.device->name; }},
        {"id", "ID", "id", FieldType::Text, false, true, Align::Left, "stable identifier (serial/nsid, WWN, dm uuid)",
         [](const ReportRow& r) -> FieldValue { return r.device->stableId(); }},
        {"devnum", "MAJ:MIN", "devnum", FieldType::Text, false, false, Align::Left, "device number",
         [](const ReportRow& r) -> FieldValue { return r.device->devnum.str(); }},
        {"type", "TYPE", "type", FieldType::Text, true, false, Align::Left, "nvme, scsi, part, loop, dm-<targets>, ...",
         [](const ReportRow& r) -> FieldValue { return typeOf(*r.device); }},
        {"kind", "KIND", "kind", FieldType::Text, false, false, Align::Left, "device kind",
         [](const ReportRow& r) -> FieldValue { return std::string(toString(r.device->kind)); }},
        {"size", "SIZE", "size", FieldType::Bytes, true, false, Align::Right, "size (bytes in JSON)",
         [](const ReportRow& r) -> FieldValue { return r.device->sizeBytes; }},
        {"lbs", "LBS", "logical_block_size", FieldType::Count, false, false, Align::Right, "logical block size",
         [](const ReportRow& r) -> FieldValue { return uint64_t{r.device->logicalBlockSize}; }},
        {"mechanism", "MECHANISM", "mechanism", FieldType::Text, true, false, Align::Left,
         "copy command: nvme-copy, scsi-xcopy, none, unknown",
         [](const ReportRow& r) -> FieldValue {
             if (r.device->isLeaf()) {
                 if (!probed(r.capability))
                     return std::string("unknown");
                 return std::string(toString(r.capability->mechanism));
             }
             std::string text;
             for (CopyMechanism mechanism : r.verdict->mechanisms)
                 text += (text.empty() ? "" : "+") + std::string(toString(mechanism));
             if (text.empty())
                 text = r.verdict->verdict == Verdict::Unknown ? "unknown" : "none";
             return text;
         }},
        {"limits", "LIMITS", "limits", FieldType::KeyValues, true, false, Align::Left,
         "copy limits of the device (stacked: of its only leaf)",
         [](const ReportRow& r) -> FieldValue { return limitsOf(limitsSource(r)); }},
        {"verdict", "VERDICT", "verdict", FieldType::Text, true, false, Align::Left,
         "copies within it: full, partial, none, unknown",
         [](const ReportRow& r) -> FieldValue { return std::string(toString(r.verdict->verdict)); }},
        {"offload", "OFFLOAD", "offloadable_share", FieldType::Share, false, true, Align::Right,
         "share of the bytes on devices with a usable copy command",
         [](const ReportRow& r) -> FieldValue { return r.verdict->offloadableShare(); }},
        {"offload-bytes", "OFFLOAD-BYTES", "offloadable_bytes", FieldType::Bytes, false, false, Align::Right,
         "bytes on devices with a usable copy command",
         [](const ReportRow& r) -> FieldValue { return r.verdict->offloadableBytes; }},
        {"serial", "SERIAL", "serial", FieldType::Text, false, true, Align::Left, "NVMe serial or SCSI unit serial",
         [](const ReportRow& r) -> FieldValue {
             if (r.device->nvme)
                 return textOrNull(r.device->nvme->serial);
             if (r.capability && r.capability->scsi)
                 return textOrNull(r.capability->scsi->unitSerial);
             return std::monostate{};
         }},
        {"nsid", "NSID", "nsid", FieldType::Count, false, true, Align::Right, "NVMe namespace id",
         [](const ReportRow& r) -> FieldValue {
             if (r.device->nvme)
                 return uint64_t{r.device->nvme->nsid};
             return std::monostate{};
         }},
        {"wwn", "WWN", "wwn", FieldType::Text, false, true, Align::Left, "world wide name (wwid)",
         [](const ReportRow& r) -> FieldValue {
             if (r.device->nvme)
                 return textOrNull(r.device->nvme->wwid);
             if (r.device->scsi)
                 return textOrNull(r.device->scsi->wwid);
             return std::monostate{};
         }},
        {"model", "MODEL", "model", FieldType::Text, false, false, Align::Left, "device model",
         [](const ReportRow& r) -> FieldValue {
             if (r.device->nvme)
                 return textOrNull(r.device->nvme->model);
             if (r.device->scsi)
                 return textOrNull(r.device->scsi->model);
             return std::monostate{};
         }},
        {"subsys", "SUBSYSNQN", "subsysnqn", FieldType::Text, false, false, Align::Left, "NVMe subsystem NQN",
         [](const ReportRow& r) -> FieldValue {
             return r.device->nvme ? textOrNull(r.device->nvme->subsysnqn) : FieldValue{};
         }},
        {"hctl", "HCTL", "hctl", FieldType::Text, false, false, Align::Left, "SCSI host:channel:target:lun",
         [](const ReportRow& r) -> FieldValue { return r.device->scsi ? textOrNull(r.device->scsi->hctl) : FieldValue{}; }},
        {"target", "TARGET", "scsi_target", FieldType::Text, false, false, Align::Left,
         "SCSI target (copies stay within one)",
         [](const ReportRow& r) -> FieldValue {
             return r.device->scsi ? textOrNull(r.device->scsi->targetId) : FieldValue{};
         }},
        {"lowers", "LOWERS", "lowers", FieldType::List, false, false, Align::Left, "stable ids of the devices below",
         [](const ReportRow& r) -> FieldValue { return stableIds(*r.topology, r.device->lowers); }},
        {"uppers", "UPPERS", "uppers", FieldType::List, false, false, Align::Left, "stable ids of the devices above",
         [](const ReportRow& r) -> FieldValue { return stableIds(*r.topology, r.device->uppers); }},
        {"table", "TABLE", "dm_table", FieldType::List, false, false, Align::Left, "device-mapper table",
         [](const ReportRow& r) -> FieldValue {
             if (!r.device->dm)
                 return std::monostate{};
             std::vector<std::string> lines;
             for (const DmSegment& s : r.device->dm->table)
                 lines.push_back(std::to_string(s.start) + " " + std::to_string(s.length) + " " + s.target
                                 + (s.params.empty() ? "" : " " + s.params));
             return lines;
         }},
        {"backing", "BACKING-FILE", "backing_file", FieldType::Text, false, false, Align::Left, "loop backing file",
         [](const ReportRow& r) -> FieldValue {
             return r.device->loop ? textOrNull(r.device->loop->backingFile) : FieldValue{};
         }},
        {"mountpoints", "MOUNTPOINTS", "mountpoints", FieldType::List, false, false, Align::Left, "where mounted",
         [](const ReportRow& r) -> FieldValue { return r.device->mountpoints; }},
        {"capability", "CAPABILITY", "capability", FieldType::KeyValues, false, false, Align::Left,
         "probe status and raw copy fields (ONCS, OCFS, 3PC, NAA)",
         [](const ReportRow& r) -> FieldValue { return capabilityOf(r.capability); }},
        {"warnings", "WARNINGS", "warnings", FieldType::List, false, false, Align::Left,
         "attributes that could not be read",
         [](const ReportRow& r) -> FieldValue { return r.device->warnings; }},
        {"reason", "REASON", "reasons", FieldType::List, true, false, Align::Left, "why (not): what to do about it",
         [](const ReportRow& r) -> FieldValue { return r.verdict->reasons; }},
    });
    return table;
}


struct TreeGlyphs {
    const char* branch;
    const char* last;
    const char* through;
    const char* blank;
};

TreeGlyphs treeGlyphs()
{
    std::setlocale(LC_CTYPE, "");
    const std::string codeset = nl_langinfo(CODESET);
    if (codeset == "UTF-8")
        return {"├─", "└─", "│ ", "  "};
    return {"|-", "`-", "| ", "  "};
}

struct ReportOptions {
    std::vector<std::string> devices;
    bool all = false;
    bool longColumns = false;
    std::string columns;
};

/// Scan-wide warnings that explain unknown device-mapper tables (not root, no
/// device-mapper) are informational: the affected verdicts already say "unknown". Every
/// other scan warning (a device vanished, mountinfo unreadable) makes the report partial.
bool informational(const Topology& topology, const std::string& warning)
{
    return std::any_of(topology.devices().begin(), topology.devices().end(), [&](const BlockDevice& device) {
        return device.dm && !device.dm->tableKnown && !device.dm->tableError.empty()
               && warning.rfind(device.dm->tableError, 0) == 0;
    });
}

int runReport(const GlobalOptions& global, const ReportOptions& options)
{
    ScanOptions scanOptions;
    scanOptions.fixture = global.fixture;
    auto snapshot = scanSystem(scanOptions);
    if (!snapshot) {
        printError("report: " + snapshot.error().message());
        return exitCodeOf(snapshot.error());
    }
    const Topology& topology = *snapshot->topology;
    const CapabilitySet& capabilities = snapshot->capabilities;
    const FieldTable<ReportRow>& fields = reportFields();

    std::string unknownColumn;
    const auto columns = fields.columns(options.longColumns, options.columns, unknownColumn);
    if (!columns) {
        printError("report: unknown column '" + unknownColumn + "' (see offloadcp report --help for the list)");
        return ExitUsage;
    }

    std::vector<std::size_t> roots;
    if (options.devices.empty()) {
        for (std::size_t root : topology.roots())
            if (options.all || topology.at(root).sizeBytes > 0)
                roots.push_back(root);
        std::sort(roots.begin(), roots.end(), [&](std::size_t a, std::size_t b) {
            return naturalLess(topology.at(a).name, topology.at(b).name);
        });
    } else {
        for (const std::string& spec : options.devices) {
            const BlockDevice* device = topology.find(spec);
            if (!device) {
                printError("report: no block device '" + spec + "'" + (global.fixture.empty() ? "" : " in the fixture")
                           + ": give a /dev path, a kernel name (nvme0n1), a dm name or a stable id as listed by "
                           + "`offloadcp report --long`");
                return ExitNotFound;
            }
            roots.push_back(device->index);
        }
    }

    // Walk the trees: rows in display order (a device under two lowers shows twice, as in
    // lsblk), JSON devices once each in first-seen order.
    std::vector<std::optional<OffloadVerdict>> verdicts(topology.size());
    std::vector<std::size_t> rowDevices;
    std::vector<std::string> prefixes;
    std::vector<std::size_t> uniqueDevices;
    std::vector<bool> seen(topology.size(), false);
    const TreeGlyphs glyphs = treeGlyphs();
    auto visit = [&](auto& self, std::size_t index, const std::string& prefix, const std::string& continuation,
                     std::size_t depth) -> void {
        if (!verdicts[index])
            verdicts[index] = volumeVerdict(topology, capabilities, index);
        rowDevices.push_back(index);
        prefixes.push_back(prefix);
        if (!seen[index]) {
            seen[index] = true;
            uniqueDevices.push_back(index);
        }
        if (depth > topology.size()) // a cycle would be a topology bug; never loop forever
            return;
        std::vector<std::size_t> children = topology.at(index).uppers;
        std::sort(children.begin(), children.end(), [&](std::size_t a, std::size_t b) {
            return naturalLess(topology.at(a).name, topology.at(b).name);
        });
        for (std::size_t i = 0; i < children.size(); ++i) {
            const bool last = i + 1 == children.size();
            self(self, children[i], continuation + (last ? glyphs.last : glyphs.branch),
                 continuation + (last ? glyphs.blank : glyphs.through), depth + 1);
        }
    };
    for (std::size_t root : roots)
        visit(visit, root, "", "", 0);

    auto rowOf = [&](std::size_t index) {
        return ReportRow{&topology, &topology.at(index),
                         index < capabilities.devices.size() ? &capabilities.devices[index] : nullptr,
                         &*verdicts[index], &capabilities};
    };

    // Warnings: scan-wide ones, unreadable attributes, failed probes, and not being root.
    std::vector<std::string> warnings;
    bool incomplete = false;
    for (const std::string& warning : topology.warnings()) {
        warnings.push_back(warning);
        if (!informational(topology, warning))
            incomplete = true;
    }
    std::vector<std::string> needsRoot;
    for (std::size_t index : uniqueDevices) {
        const BlockDevice& device = topology.at(index);
        for (const std::string& warning : device.warnings) {
            warnings.push_back(device.name + ": " + warning);
            incomplete = true;
        }
        if (index < capabilities.devices.size()) {
            const DeviceCapability& capability = capabilities.devices[index];
            if (capability.status == ProbeStatus::Failed) {
                warnings.push_back(device.name + ": probe failed: " + capability.reason);
                incomplete = true;
            } else if (capability.status == ProbeStatus::NeedsRoot) {
                needsRoot.push_back(device.name);
            }
        }
    }
    if (!needsRoot.empty()) {
        std::string names;
        for (const std::string& name : needsRoot)
            names += (names.empty() ? "" : ", ") + name;
        warnings.push_back("not probed because opening them needs root: " + names
                           + " (copy support shows as unknown; run as root to probe)");
    }
    for (const std::string& warning : warnings)
        printWarning(warning);

    if (global.json) {
        nlohmann::ordered_json out;
        out["schema_version"] = kReportSchemaVersion;
        nlohmann::ordered_json devices = nlohmann::ordered_json::array();
        for (std::size_t index : uniqueDevices)
            devices.push_back(fields.json(rowOf(index)));
        out["warnings"] = warnings;
        out["roots"] = stableIds(topology, roots);
        out["devices"] = std::move(devices);
        std::cout << out.dump(2) << '\n';
    } else if (!rowDevices.empty()) {
        std::vector<ReportRow> rows;
        for (std::size_t index : rowDevices)
            rows.push_back(rowOf(index));
        std::cout << fields.text(rows, *columns, prefixes).render();
    }
    std::cout.flush();
    return incomplete ? ExitPartial : ExitOk;
}

} // namespace

void addReportCommand(CLI::App& app, GlobalOptions& global, Runner& run)
{
    auto options = std::make_shared<ReportOptions>();
    CLI::App* report = app.add_subcommand(
        "report", "Show the block device tree and, for every volume, whether copies within it can be offloaded "
                  "to the storage device (full / partial / none / unknown) and why");
    report->add_option("DEVICE", options->devices,
                       "Show only these devices and what is built on them (/dev path, kernel name, dm name or "
                       "stable id)");
    report->add_flag("--json", global.json, "Print JSON (schema_version, devices, warnings) instead of a table");
    report->add_flag("-l,--long", options->longColumns, "Add identity columns (ID, SERIAL, NSID, WWN) and OFFLOAD");
    report->add_option("-o,--output", options->columns,
                       "Columns to show, comma separated (\"+COL,...\" adds to the defaults); see the list below")
        ->option_text("LIST");
    report->add_flag("-a,--all", options->all, "Also show empty devices (size 0, such as unattached loop devices)");
    report->footer("Columns for -o:\n" + reportFields().help()
                   + "\nA device named on the command line is shown even when empty. Cross-namespace NVMe "
                     "Copy counts as offloadable only where the kernel lets user space enable it (before "
                     "6.12), as `offloadcp plan` decides; with --fixture, a kernel-release file in the fixture "
                     "(uname -r) says which kernel to assume (without one it is unknown and not counted).\n"
                     "Exit status: 0 when the report is complete; 8 (partial) when a device vanished, an "
                     "attribute could not be read or a probe failed (all listed as warnings on stderr and in "
                     "JSON). Informational warnings, such as not being root, do not change the exit status.\n\n"
                   + exitCodeHelp());
    report->callback([&global, &run, options] { run = [&global, options] { return runReport(global, *options); }; });
}

} // namespace offload::cli
