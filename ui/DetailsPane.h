// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"

#include <QWidget>

#include <memory>
#include <optional>

class QFormLayout;
class QGroupBox;
class QLabel;

namespace offload::ui {

class ExtentBar;

/// The details of one selected volume: identity (serial, nsid, WWN, stable id), copy
/// limits of the leaves under it (MSSRL/MCL/MSRC, EXTENDED COPY segment limits), the
/// reasons of its verdict, and an extent bar of where its bytes live.
class DetailsPane : public QWidget {
    Q_OBJECT
public:
    explicit DetailsPane(QWidget* parent = nullptr);

    void setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot);
    /// Shows `device`, or a hint when nullopt.
    void showDevice(std::optional<std::size_t> device);

    /// Builds the extent bar segments of a volume (also used by tests).
    static void fillExtentBar(ExtentBar& bar, const VolumeSnapshot& snapshot, std::size_t device);

    ExtentBar* extentBar() const { return m_extentBar; }
    QFormLayout* identityForm() const { return m_identity; }
    QFormLayout* limitsForm() const { return m_limits; }
    QLabel* reasonsLabel() const { return m_reasons; }

private:
    static void clearForm(QFormLayout* form);
    void addRow(QFormLayout* form, const QString& label, const QString& value);

    std::shared_ptr<const VolumeSnapshot> m_snapshot;
    QLabel* m_title = nullptr;
    QLabel* m_badge = nullptr;
    QLabel* m_badgeIcon = nullptr;
    ExtentBar* m_extentBar = nullptr;
    QGroupBox* m_identityBox = nullptr;
    QGroupBox* m_limitsBox = nullptr;
    QGroupBox* m_reasonsBox = nullptr;
    QFormLayout* m_identity = nullptr;
    QFormLayout* m_limits = nullptr;
    QLabel* m_reasons = nullptr;
};

} // namespace offload::ui
