// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

#include <cstdint>

namespace offload::ui {

/// A horizontal bar drawing where the bytes of a range live: one coloured segment per
/// piece (offset/length in bytes of a total), with a label inside when it fits, a tooltip
/// per segment and a legend below. Colours are fixed per meaning; text and frame use
/// the palette, and text inside a segment picks black or white by the fill's lightness.
class ExtentBar : public QWidget {
    Q_OBJECT
public:
    struct Segment {
        uint64_t offset = 0;
        uint64_t length = 0;
        QColor color;
        QString label;    ///< drawn inside when it fits ("nvme0n1", "seg 2")
        QString toolTip;  ///< shown on hover
    };
    struct LegendEntry {
        QColor color;
        QString text;
    };

    explicit ExtentBar(QWidget* parent = nullptr);

    void setExtents(uint64_t total, QList<Segment> segments, QList<LegendEntry> legend);
    void clear();
    const QList<Segment>& segments() const { return m_segments; }
    const QList<LegendEntry>& legend() const { return m_legend; }
    uint64_t total() const { return m_total; }
    /// A one-line text version of the bar (also the accessible description).
    QString summary() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    /// Colours with a meaning, shared by every bar of the app.
    static QColor offloadColor();   ///< the device copies it (NVMe Copy)
    static QColor xcopyColor();     ///< the device copies it (SCSI EXTENDED COPY)
    static QColor hostColor();      ///< the host copies it (read/write)
    static QColor unknownColor();   ///< not known (not probed)
    static QColor stopColor();      ///< a layer that stops offload (crypt, thin, ...)
    static QColor errorColor();     ///< dm-error / hole

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    QRect barRect() const;
    int segmentAt(QPoint pos) const;
    int legendHeight(int width) const;

    uint64_t m_total = 0;
    QList<Segment> m_segments;
    QList<LegendEntry> m_legend;
};

} // namespace offload::ui
