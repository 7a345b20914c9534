// SPDX-License-Identifier: GPL-2.0-or-later
// `offloadcp plan SRC DST`: how a copy would go, extent by extent, and why. Writes nothing.
#include "util/ByteSize.h"
#include "Cli.h"
#include "Fields.h"
#include "PrivilegedRoute.h"

#include "capability/Capability.h"
#include "capability/Scan.h"
#include "copy/CopyPlan.h"
#include "copy/CopyPlanner.h"
#include "copy/EndpointResolver.h"
#include "topology/Topology.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <tuple>

namespace offload::cli {

namespace {

/// Bumped when a JSON key changes meaning or disappears (adding keys does not bump it).
constexpr int kPlanSchemaVersion = 1;

struct PlanContext {
    const Topology* topology = nullptr;
    const CapabilitySet* capabilities = nullptr;
    const CopyPlan* plan = nullptr;
};

struct ExtentRow {
    const PlanContext* context = nullptr;
    const PlannedExtent* extent = nullptr;
};

struct NvmeRow {
    const PlanContext* context = nullptr;
    const NvmeCopyStep* step = nullptr;
};

struct XcopyRow {
    const PlanContext* context = nullptr;
    const XcopyStep* step = nullptr;
};

FieldValue deviceName(const Topology& topology, std::optional<std::size_t> device)
{
    if (!device)
        return std::monostate{};
    return topology.at(*device).name;
}

FieldValue deviceId(const Topology& topology, std::optional<std::size_t> device)
{
    if (!device)
        return std::monostate{};
    return topology.at(*device).stableId();
}

/// The block size LBAs of `device` are counted in: the namespace's LBA format, else the
/// logical block size.
uint32_t lbaBytesOf(const PlanContext& context, std::size_t device)
{
    if (device < context.capabilities->devices.size()) {
        const DeviceCapability& capability = context.capabilities->devices[device];
        if (capability.nvme && capability.nvme->lbaBytes != 0)
            return capability.nvme->lbaBytes;
        if (capability.scsi && capability.scsi->blockBytes != 0)
            return capability.scsi->blockBytes;
    }
    return context.topology->at(device).logicalBlockSize;
}

FieldValue leafLba(const PlanContext& context, std::optional<std::size_t> device, uint64_t offset)
{
    if (!device)
        return std::monostate{};
    return offset / lbaBytesOf(context, *device);
}

/// How many offload commands carry (part of) this extent.
uint64_t commandsFor(const CopyPlan& plan, const PlannedExtent& extent)
{
    const auto inside = [&](uint64_t volumeSrcOffset) {
        return volumeSrcOffset >= extent.srcOffset && volumeSrcOffset < extent.srcOffset + extent.length;
    };
    uint64_t count = 0;
    for (const NvmeCopyStep& step : plan.nvmeSteps) {
        for (const NvmeSourceRange& range : step.ranges) {
            if (inside(range.volumeSrcOffset)) {
                ++count;
                break;
            }
        }
    }
    for (const XcopyStep& step : plan.xcopySteps) {
        for (const XcopySegment& segment : step.segments) {
            if (inside(segment.volumeSrcOffset)) {
                ++count;
                break;
            }
        }
    }
    return count;
}

const FieldTable<ExtentRow>& extentFields()
{
    using F = Field<ExtentRow>;
    static const FieldTable<ExtentRow> table(std::vector<F>{
        {"src-offset", "SRC-OFFSET", "src_offset", FieldType::Count, true, false, Align::Right,
         "byte offset in the source volume", [](const ExtentRow& r) -> FieldValue { return r.extent->srcOffset; }},
        {"dst-offset", "DST-OFFSET", "dst_offset", FieldType::Count, true, false, Align::Right,
         "byte offset in the destination volume",
         [](const ExtentRow& r) -> FieldValue { return r.extent->dstOffset; }},
        {"length", "LENGTH", "length", FieldType::Bytes, true, false, Align::Right, "length (bytes in JSON)",
         [](const ExtentRow& r) -> FieldValue { return r.extent->length; }},
        {"method", "METHOD", "method", FieldType::Text, true, false, Align::Left,
         "nvme-copy, scsi-xcopy, read-write, file-clone, copy-file-range",
         [](const ExtentRow& r) -> FieldValue { return std::string(toString(r.extent->method)); }},
        {"src-leaf", "SRC-LEAF", "src_leaf", FieldType::Text, true, false, Align::Left,
         "leaf device holding the source bytes",
         [](const ExtentRow& r) -> FieldValue { return deviceName(*r.context->topology, r.extent->srcLeaf); }},
        {"src-lba", "SRC-LBA", "src_lba", FieldType::Count, true, false, Align::Right,
         "first LBA on the source leaf (its own LBA size)",
         [](const ExtentRow& r) -> FieldValue {
             return leafLba(*r.context, r.extent->srcLeaf, r.extent->srcLeafOffset);
         }},
        {"dst-leaf", "DST-LEAF", "dst_leaf", FieldType::Text, true, false, Align::Left,
         "leaf device receiving the bytes",
         [](const ExtentRow& r) -> FieldValue { return deviceName(*r.context->topology, r.extent->dstLeaf); }},
        {"dst-lba", "DST-LBA", "dst_lba", FieldType::Count, true, false, Align::Right,
         "first LBA on the destination leaf",
         [](const ExtentRow& r) -> FieldValue {
             return leafLba(*r.context, r.extent->dstLeaf, r.extent->dstLeafOffset);
         }},
        {"commands", "CMDS", "commands", FieldType::Count, false, true, Align::Right,
         "offload commands carrying the extent",
         [](const ExtentRow& r) -> FieldValue { return commandsFor(*r.context->plan, *r.extent); }},
        {"src-leaf-id", "SRC-LEAF-ID", "src_leaf_id", FieldType::Text, false, false, Align::Left,
         "stable id of the source leaf",
         [](const ExtentRow& r) -> FieldValue { return deviceId(*r.context->topology, r.extent->srcLeaf); }},
        {"src-leaf-offset", "SRC-LEAF-OFFSET", "src_leaf_offset", FieldType::Count, false, false, Align::Right,
         "byte offset on the source leaf",
         [](const ExtentRow& r) -> FieldValue {
             return r.extent->srcLeaf ? FieldValue{r.extent->srcLeafOffset} : FieldValue{};
         }},
        {"dst-leaf-id", "DST-LEAF-ID", "dst_leaf_id", FieldType::Text, false, false, Align::Left,
         "stable id of the destination leaf",
         [](const ExtentRow& r) -> FieldValue { return deviceId(*r.context->topology, r.extent->dstLeaf); }},
        {"dst-leaf-offset", "DST-LEAF-OFFSET", "dst_leaf_offset", FieldType::Count, false, false, Align::Right,
         "byte offset on the destination leaf",
         [](const ExtentRow& r) -> FieldValue {
             return r.extent->dstLeaf ? FieldValue{r.extent->dstLeafOffset} : FieldValue{};
         }},
        {"reason", "REASON", "reason", FieldType::Text, true, false, Align::Left, "why this method",
         [](const ExtentRow& r) -> FieldValue { return r.extent->reason; }},
    });
    return table;
}

/// The plan as one row: what is copied, how much offloads, how many commands.
const FieldTable<PlanContext>& summaryFields()
{
    using F = Field<PlanContext>;
    const auto endpointText = [](const PlanContext& c, const CopyEndpoint& endpoint) -> FieldValue {
        if (endpoint.device)
            return c.topology->at(*endpoint.device).devPath();
        return endpoint.file.string();
    };
    static const FieldTable<PlanContext> table(std::vector<F>{
        {"source", "SOURCE", "source", FieldType::Text, true, false, Align::Left, "source device or file",
         [endpointText](const PlanContext& c) -> FieldValue { return endpointText(c, c.plan->source); }},
        {"source-id", "SOURCE-ID", "source_id", FieldType::Text, false, false, Align::Left, "stable id of the source",
         [](const PlanContext& c) -> FieldValue {
             return c.plan->source.device ? deviceId(*c.topology, c.plan->source.device) : FieldValue{};
         }},
        {"destination", "DESTINATION", "destination", FieldType::Text, true, false, Align::Left,
         "destination device or file",
         [endpointText](const PlanContext& c) -> FieldValue { return endpointText(c, c.plan->destination); }},
        {"destination-id", "DESTINATION-ID", "destination_id", FieldType::Text, false, false, Align::Left,
         "stable id of the destination",
         [](const PlanContext& c) -> FieldValue {
             return c.plan->destination.device ? deviceId(*c.topology, c.plan->destination.device) : FieldValue{};
         }},
        {"src-offset", "SRC-OFFSET", "src_offset", FieldType::Count, true, false, Align::Right, "source offset",
         [](const PlanContext& c) -> FieldValue { return c.plan->srcOffset; }},
        {"dst-offset", "DST-OFFSET", "dst_offset", FieldType::Count, true, false, Align::Right, "destination offset",
         [](const PlanContext& c) -> FieldValue { return c.plan->dstOffset; }},
        {"length", "LENGTH", "length", FieldType::Bytes, true, false, Align::Right, "bytes to copy",
         [](const PlanContext& c) -> FieldValue { return c.plan->length; }},
        {"offloaded", "OFFLOADED", "offloaded_bytes", FieldType::Bytes, true, false, Align::Right,
         "bytes the devices copy themselves", [](const PlanContext& c) -> FieldValue { return c.plan->offloadedBytes(); }},
        {"share", "SHARE", "offloaded_share", FieldType::Share, true, false, Align::Right,
         "share of the bytes offloaded", [](const PlanContext& c) -> FieldValue { return c.plan->offloadedShare(); }},
        {"nvme-commands", "NVME-CMDS", "nvme_commands", FieldType::Count, true, false, Align::Right,
         "NVMe Copy commands", [](const PlanContext& c) -> FieldValue { return uint64_t{c.plan->nvmeSteps.size()}; }},
        {"xcopy-commands", "XCOPY-CMDS", "xcopy_commands", FieldType::Count, true, false, Align::Right,
         "EXTENDED COPY commands",
         [](const PlanContext& c) -> FieldValue { return uint64_t{c.plan->xcopySteps.size()}; }},
        {"bytes-by-method", "BY-METHOD", "bytes_by_method", FieldType::KeyValues, true, false, Align::Left,
         "bytes per method",
         [](const PlanContext& c) -> FieldValue {
             std::vector<KeyValue> out;
             for (CopyMethod method : {CopyMethod::NvmeCopy, CopyMethod::ScsiXcopy, CopyMethod::FileClone,
                                       CopyMethod::CopyFileRange, CopyMethod::ReadWrite}) {
                 const uint64_t bytes = c.plan->bytesBy(method);
                 if (bytes != 0)
                     out.push_back({toString(method), toString(method), FieldType::Bytes, bytes});
             }
             return out;
         }},
    });
    return table;
}

std::vector<std::string> rangeTexts(const NvmeCopyStep& step)
{
    std::vector<std::string> out;
    for (const NvmeSourceRange& range : step.ranges)
        out.push_back((range.snsid != 0 ? "ns" + std::to_string(range.snsid) + ":" : std::string()) +
                      std::to_string(range.slba) + "+" + std::to_string(range.blocks));
    return out;
}

const FieldTable<NvmeRow>& nvmeFields()
{
    using F = Field<NvmeRow>;
    static const FieldTable<NvmeRow> table(std::vector<F>{
        {"namespace", "NAMESPACE", "namespace", FieldType::Text, true, false, Align::Left,
         "namespace the command is sent to (the destination)",
         [](const NvmeRow& r) -> FieldValue { return r.context->topology->at(r.step->ns).name; }},
        {"namespace-id", "NAMESPACE-ID", "namespace_id", FieldType::Text, false, false, Align::Left,
         "stable id of that namespace",
         [](const NvmeRow& r) -> FieldValue { return r.context->topology->at(r.step->ns).stableId(); }},
        {"format", "FMT", "format", FieldType::Count, true, false, Align::Right, "copy descriptor format",
         [](const NvmeRow& r) -> FieldValue { return uint64_t{r.step->format}; }},
        {"sdlba", "SDLBA", "sdlba", FieldType::Count, true, false, Align::Right, "first destination LBA",
         [](const NvmeRow& r) -> FieldValue { return r.step->sdlba; }},
        {"lba-bytes", "LBA", "lba_bytes", FieldType::Count, false, false, Align::Right, "LBA size",
         [](const NvmeRow& r) -> FieldValue { return uint64_t{r.step->lbaBytes}; }},
        {"length", "LENGTH", "length", FieldType::Bytes, true, false, Align::Right, "bytes",
         [](const NvmeRow& r) -> FieldValue { return r.step->bytes(); }},
        {"ranges", "RANGES", "ranges", FieldType::List, true, false, Align::Left, "source ranges: SLBA+blocks",
         [](const NvmeRow& r) -> FieldValue { return rangeTexts(*r.step); }},
    });
    return table;
}

std::vector<std::string> segmentTexts(const XcopyStep& step)
{
    std::vector<std::string> out;
    for (const XcopySegment& segment : step.segments)
        out.push_back(std::to_string(segment.srcLba) + "->" + std::to_string(segment.dstLba) + "+" +
                      std::to_string(segment.blocks));
    return out;
}

const FieldTable<XcopyRow>& xcopyFields()
{
    using F = Field<XcopyRow>;
    static const FieldTable<XcopyRow> table(std::vector<F>{
        {"source-lun", "SRC-LUN", "source_lun", FieldType::Text, true, false, Align::Left, "source LUN",
         [](const XcopyRow& r) -> FieldValue { return r.context->topology->at(r.step->srcLun).name; }},
        {"destination-lun", "DST-LUN", "destination_lun", FieldType::Text, true, false, Align::Left,
         "destination LUN", [](const XcopyRow& r) -> FieldValue { return r.context->topology->at(r.step->dstLun).name; }},
        {"issue-to", "ISSUE-TO", "issue_to", FieldType::Text, true, false, Align::Left, "LUN the command is sent to",
         [](const XcopyRow& r) -> FieldValue { return r.context->topology->at(r.step->issueTo).name; }},
        {"block-bytes", "BLOCK", "block_bytes", FieldType::Count, false, false, Align::Right, "block size",
         [](const XcopyRow& r) -> FieldValue { return uint64_t{r.step->blockBytes}; }},
        {"length", "LENGTH", "length", FieldType::Bytes, true, false, Align::Right, "bytes",
         [](const XcopyRow& r) -> FieldValue { return r.step->bytes(); }},
        {"segments", "SEGMENTS", "segments", FieldType::List, true, false, Align::Left,
         "segments: source LBA->destination LBA+blocks",
         [](const XcopyRow& r) -> FieldValue { return segmentTexts(*r.step); }},
    });
    return table;
}

struct PlanOptions {
    std::string source;
    std::string destination;
    std::string srcOffset = "0";
    std::string dstOffset = "0";
    std::string length = "0";
    bool noOffload = false;
    bool crossNamespace = false;
    bool showCommands = false;
    bool longColumns = false;
    std::string columns;
};

template <class Row> nlohmann::ordered_json jsonRows(const FieldTable<Row>& fields, const std::vector<Row>& rows)
{
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const Row& row : rows)
        out.push_back(fields.json(row));
    return out;
}

template <class Row> std::string textTable(const FieldTable<Row>& fields, const std::vector<Row>& rows)
{
    std::string unknown;
    return fields.text(rows, *fields.columns(false, {}, unknown)).render();
}

int runPlan(const GlobalOptions& global, const PlanOptions& options)
{
    CopyRequest request;
    for (auto [text, target, name] : {std::tuple{&options.srcOffset, &request.srcOffset, "--src-offset"},
                                      std::tuple{&options.dstOffset, &request.dstOffset, "--dst-offset"},
                                      std::tuple{&options.length, &request.length, "--length"}}) {
        const Result<uint64_t> value = parseByteSize(*text);
        if (!value) {
            printError(std::string("plan: ") + name + ": " + value.error().message());
            return ExitUsage;
        }
        *target = *value;
    }
    request.noOffload = options.noOffload;
    request.forceCrossNamespace = options.crossNamespace;

    ScanOptions scanOptions;
    scanOptions.fixture = global.fixture;
    if (global.fixture.empty())
        scanOptions.around = endpointDevNums({options.source, options.destination});
    scanOptions.probeOnly = [&](const Topology& t) {
        if (global.privileged && !global.privileged->checkEndpoints(t, options.source, options.destination))
            return std::vector<std::size_t>{}; // refused below; probe nothing
        return endpointDevices(t, options.source, options.destination);
    };
    auto snapshot = scanSystem(scanOptions);
    if (!snapshot) {
        printError("plan: " + snapshot.error().message());
        return exitCodeOf(snapshot.error());
    }
    const Topology& topology = *snapshot->topology;
    const CapabilitySet& capabilities = snapshot->capabilities;

    auto source = resolveEndpoint(topology, options.source, EndpointRole::Source);
    if (!source) {
        printError("plan: " + source.error().message());
        return exitCodeOf(source.error());
    }
    auto destination = resolveEndpoint(topology, options.destination, EndpointRole::Destination);
    if (!destination) {
        printError("plan: " + destination.error().message());
        return exitCodeOf(destination.error());
    }
    if (global.privileged) {
        for (auto [spec, endpoint] : {std::pair{&options.source, &*source}, std::pair{&options.destination, &*destination}})
            if (Status allowed = global.privileged->checkResolved(topology, *spec, *endpoint); !allowed) {
                printError("plan: " + allowed.error().message());
                return ExitPermission;
            }
    }
    request.source = *source;
    request.destination = *destination;

    auto plan = planCopy(topology, capabilities, request);
    if (!plan) {
        printError("plan: " + plan.error().message());
        return exitCodeOf(plan.error());
    }

    // Probes that did not run make reasons "unknown"; say so once.
    std::vector<std::string> warnings = plan->warnings;
    for (const PlannedExtent& extent : plan->extents) {
        for (const std::optional<std::size_t>& leaf : {extent.srcLeaf, extent.dstLeaf}) {
            if (leaf && *leaf < capabilities.devices.size() &&
                capabilities.devices[*leaf].status == ProbeStatus::NeedsRoot) {
                const std::string note = "not root: copy support of " + topology.at(*leaf).name +
                                         " was not probed, so it is planned as read/write; run as root to probe";
                if (std::find(warnings.begin(), warnings.end(), note) == warnings.end())
                    warnings.push_back(note);
            }
        }
    }
    for (const std::string& warning : warnings)
        printWarning(warning);

    const PlanContext context{&topology, &capabilities, &*plan};
    std::vector<ExtentRow> extents;
    for (const PlannedExtent& extent : plan->extents)
        extents.push_back({&context, &extent});
    std::vector<NvmeRow> nvme;
    for (const NvmeCopyStep& step : plan->nvmeSteps)
        nvme.push_back({&context, &step});
    std::vector<XcopyRow> xcopy;
    for (const XcopyStep& step : plan->xcopySteps)
        xcopy.push_back({&context, &step});

    if (global.json) {
        nlohmann::ordered_json document;
        document["schema_version"] = kPlanSchemaVersion;
        document["plan"] = summaryFields().json(context);
        document["extents"] = jsonRows(extentFields(), extents);
        // Commands carry their ranges / segments as objects (the text table shows them compactly).
        document["nvme_commands"] = jsonRows(nvmeFields(), nvme);
        for (std::size_t i = 0; i < nvme.size(); ++i) {
            nlohmann::ordered_json ranges = nlohmann::ordered_json::array();
            for (const NvmeSourceRange& range : nvme[i].step->ranges)
                ranges.push_back({{"slba", range.slba},
                                  {"blocks", range.blocks},
                                  {"snsid", range.snsid},
                                  {"src_offset", range.volumeSrcOffset},
                                  {"dst_offset", range.volumeDstOffset}});
            document["nvme_commands"][i]["ranges"] = std::move(ranges);
        }
        document["xcopy_commands"] = jsonRows(xcopyFields(), xcopy);
        for (std::size_t i = 0; i < xcopy.size(); ++i) {
            nlohmann::ordered_json segments = nlohmann::ordered_json::array();
            for (const XcopySegment& segment : xcopy[i].step->segments)
                segments.push_back({{"src_lba", segment.srcLba},
                                    {"dst_lba", segment.dstLba},
                                    {"blocks", segment.blocks},
                                    {"src_offset", segment.volumeSrcOffset},
                                    {"dst_offset", segment.volumeDstOffset}});
            document["xcopy_commands"][i]["segments"] = std::move(segments);
        }
        document["warnings"] = warnings;
        std::cout << document.dump(2) << '\n';
        return ExitOk;
    }

    std::string unknownColumn;
    const auto columns = extentFields().columns(options.longColumns, options.columns, unknownColumn);
    if (!columns) {
        printError("plan: unknown column '" + unknownColumn + "' (see offloadcp plan --help for the list)");
        return ExitUsage;
    }
    std::cout << extentFields().text(extents, *columns).render() << '\n';
    if (options.showCommands && !nvme.empty())
        std::cout << textTable(nvmeFields(), nvme) << '\n';
    if (options.showCommands && !xcopy.empty())
        std::cout << textTable(xcopyFields(), xcopy) << '\n';
    std::cout << textTable(summaryFields(), std::vector<PlanContext>{context});
    std::cout.flush();
    return ExitOk;
}

} // namespace

void addPlanCommand(CLI::App& app, GlobalOptions& global, Runner& run)
{
    auto options = std::make_shared<PlanOptions>();
    CLI::App* plan = app.add_subcommand(
        "plan", "Show how SRC would be copied to DST: each extent with its method (NVMe Copy, EXTENDED COPY, "
                "read/write, reflink) and the reason, the commands per method and the share of bytes the "
                "devices copy themselves. Reads only; writes nothing");
    plan->add_option("SRC", options->source,
                     "Source: /dev path, kernel name, dm name, stable id, or a regular file")
        ->required();
    plan->add_option("DST", options->destination,
                     "Destination: the same forms (a file that does not exist yet is planned as a new file)")
        ->required();
    plan->add_option("--src-offset", options->srcOffset, std::string("Offset in the source; ") + kByteSizeHelp);
    plan->add_option("--dst-offset", options->dstOffset, std::string("Offset in the destination; ") + kByteSizeHelp);
    plan->add_option("--length", options->length,
                     std::string("Bytes to copy (default 0: to the end of the source); ") + kByteSizeHelp);
    plan->add_flag("--no-offload", options->noOffload, "Plan a host read/write copy only");
    plan->add_flag("--cross-namespace", options->crossNamespace,
                   kCrossNamespaceHelp);
    plan->add_flag("--commands", options->showCommands, "Also list every NVMe Copy / EXTENDED COPY command");
    plan->add_flag("--json", global.json,
                   "Print JSON (schema_version, plan, extents, nvme_commands, xcopy_commands, warnings)");
    plan->add_flag("-l,--long", options->longColumns, "Add the CMDS column");
    plan->add_option("-o,--output", options->columns,
                     "Extent columns to show, comma separated (\"+COL,...\" adds to the defaults); see the list "
                     "below")
        ->option_text("LIST");
    plan->footer("Columns for -o:\n" + extentFields().help() +
                 "\nSizes and offsets must be multiples of the larger logical block size of the two sides "
                 "(regular files on both sides: any byte).\n\n" + exitCodeHelp());
    plan->callback([&global, &run, options] { run = [&global, options] { return runPlan(global, *options); }; });
}

} // namespace offload::cli
