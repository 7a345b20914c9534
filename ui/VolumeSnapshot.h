// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "capability/ReportCapabilities.h"
#include "capability/Scan.h"
#include "topology/ExtentMapper.h"
#include "topology/Topology.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace offload::ui {

/// The badge a volume gets in the tree: can a copy into or out of it be done by the device?
enum class Badge { EndToEnd, Partly, HostOnly, Unknown };
QString badgeText(Badge badge);
QString badgeIconName(Badge badge);

/// What one piece of a volume's bytes can do (for the extent bar).
enum class PieceAbility { Offload, HostOnly, Unknown };

/// A mapped piece of a volume with what it can do and why.
struct AssessedPiece {
    MappedPiece piece;
    PieceAbility ability = PieceAbility::HostOnly;
    CopyMechanism mechanism = CopyMechanism::None;
    QString reason;
};

/// The app's view of one device: badge, mechanism text and reasons, derived from core's
/// topology, capabilities and mapRange.
struct VolumeAssessment {
    Badge badge = Badge::Unknown;
    QString mechanism;        ///< "NVMe Copy", "SCSI EXTENDED COPY", "none", "unknown: needs root"
    QStringList reasons;      ///< every distinct reason, most important first
    std::vector<AssessedPiece> pieces; ///< where the bytes live (empty for a 0-byte device)
    double offloadableShare = 0.0;     ///< bytes whose leaf can offload / size
};

/// An immutable snapshot the models and widgets share: topology, capabilities, and the
/// assessment of every device, indexed like Topology::devices().
struct VolumeSnapshot {
    std::shared_ptr<const Topology> topology;
    CapabilitySet capabilities;
    std::vector<VolumeAssessment> assessments;
    QString origin;           ///< "this machine" or the fixture's name ("lab-all", fixtureDisplayName)
    bool live = false;        ///< true when it describes this machine (copies possible)
    std::size_t adminProbed = 0; ///< devices whose capabilities came from "Probe as administrator"

    static std::shared_ptr<const VolumeSnapshot> make(SystemSnapshot snapshot, QString origin, bool live);
    /// This snapshot with the capabilities an elevated `offloadcp report --json` found,
    /// matched by stable id (mergeReportedCapabilities), and every assessment redone.
    std::shared_ptr<const VolumeSnapshot> withReportedCapabilities(const std::vector<ReportedCapability>& reported) const;

    const BlockDevice& device(std::size_t index) const { return topology->at(index); }
    const VolumeAssessment& assessment(std::size_t index) const { return assessments.at(index); }
    /// Why `index` cannot be overwritten ("mounted on /srv", "held by dm-0"), empty when free.
    QString inUseReason(std::size_t index) const;
};

/// Kind text for the tree's Type column: "NVMe namespace", "dm-linear", "partition 2", ...
QString deviceTypeText(const BlockDevice& device);
QString mechanismLabel(CopyMechanism mechanism);
/// A fixture directory's name as shown to users: "lab-all" for /path/to/fixtures/lab-all/.
QString fixtureDisplayName(const QString& fixtureDir);
/// "1 device", "39 devices" (and the same for other nouns with a plain -s plural).
QString countText(qsizetype count, const QString& singular, const QString& plural);

} // namespace offload::ui
