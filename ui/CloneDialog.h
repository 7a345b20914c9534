// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"
#include "copy/CopyJob.h"
#include "copy/CopyPlanner.h"

#include <QDialog>

#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QPushButton;

namespace offload::ui {

class DestinationFilterModel;
class ExtentBar;
class VolumeListModel;

/// Clone one volume onto another. Pick a source and a destination (only large-enough
/// ones are offered; mounted or held ones are shown disabled with the reason), see the
/// plan before anything is written (extent bar by method, offloaded share, every reason
/// and warning), choose verify / require offload, then confirm a question that names the
/// destination by label and stable id. The dialog writes nothing itself: on accept the
/// caller starts plan() with options().
class CloneDialog : public QDialog {
    Q_OBJECT
public:
    explicit CloneDialog(std::shared_ptr<const VolumeSnapshot> snapshot, QWidget* parent = nullptr);

    void setSource(std::size_t device);
    void setDestination(std::size_t device);
    std::optional<std::size_t> source() const;
    std::optional<std::size_t> destination() const;

    /// The current plan (nullopt until both ends are chosen and planning succeeded).
    const std::optional<CopyPlan>& plan() const { return m_plan; }
    /// Why there is no plan or why it cannot start; empty when Start is possible.
    QString blocker() const { return m_blocker; }
    CopyOptions options() const;
    bool requireOffload() const;

    /// The confirmation text: names the destination that will be overwritten.
    QString confirmationText() const;
    /// Skip the modal confirmation (tests and scripted screenshots).
    void setConfirmationEnabled(bool enabled) { m_confirm = enabled; }

    QComboBox* sourceCombo() const { return m_sourceCombo; }
    QComboBox* destinationCombo() const { return m_destCombo; }
    DestinationFilterModel* destinationModel() const { return m_destModel; }
    ExtentBar* planBar() const { return m_planBar; }
    QLabel* shareLabel() const { return m_share; }
    QLabel* reasonsLabel() const { return m_reasons; }
    QPushButton* startButton() const { return m_start; }
    QCheckBox* verifyBox() const { return m_verify; }
    QCheckBox* requireOffloadBox() const { return m_requireOffload; }

public slots:
    void accept() override;

private:
    void sourceChanged();
    void replan();

    std::shared_ptr<const VolumeSnapshot> m_snapshot;
    VolumeListModel* m_sources = nullptr;
    VolumeListModel* m_destinations = nullptr;
    DestinationFilterModel* m_destModel = nullptr;
    QComboBox* m_sourceCombo = nullptr;
    QComboBox* m_destCombo = nullptr;
    ExtentBar* m_planBar = nullptr;
    QLabel* m_share = nullptr;
    QLabel* m_reasons = nullptr;
    QLabel* m_blockerLabel = nullptr;
    QCheckBox* m_verify = nullptr;
    QCheckBox* m_requireOffload = nullptr;
    QPushButton* m_start = nullptr;
    std::optional<CopyPlan> m_plan;
    QString m_blocker;
    bool m_confirm = true;
};

} // namespace offload::ui
