// SPDX-License-Identifier: GPL-2.0-or-later
#include "ExtentBar.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace offload::ui {

namespace {
constexpr int kBarHeight = 30;
constexpr int kSwatch = 12;
constexpr int kLegendGap = 14;
constexpr int kSpacing = 6;
} // namespace

ExtentBar::ExtentBar(QWidget* parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setMouseTracking(true);
    setAccessibleName(tr("Extent map"));
}

QColor ExtentBar::offloadColor() { return QColor(0x2e, 0x9e, 0x4f); }
QColor ExtentBar::xcopyColor() { return QColor(0x1f, 0x8a, 0x9e); }
QColor ExtentBar::hostColor() { return QColor(0x8a, 0x93, 0xa3); }
QColor ExtentBar::unknownColor() { return QColor(0x6f, 0x7f, 0xe3); }
QColor ExtentBar::stopColor() { return QColor(0xe6, 0x95, 0x00); }
QColor ExtentBar::errorColor() { return QColor(0xc0, 0x39, 0x2b); }

void ExtentBar::setExtents(uint64_t total, QList<Segment> segments, QList<LegendEntry> legend)
{
    m_total = total;
    m_segments = std::move(segments);
    m_legend = std::move(legend);
    setAccessibleDescription(summary());
    updateGeometry();
    update();
}

void ExtentBar::clear()
{
    setExtents(0, {}, {});
}

QString ExtentBar::summary() const
{
    QStringList parts;
    for (const auto& s : m_segments) {
        const double pct = m_total ? 100.0 * static_cast<double>(s.length) / static_cast<double>(m_total) : 0.0;
        parts << QStringLiteral("%1 %2%").arg(s.label).arg(pct, 0, 'f', 1);
    }
    return parts.join(QStringLiteral(", "));
}

QRect ExtentBar::barRect() const
{
    return QRect(1, 1, width() - 2, kBarHeight);
}

int ExtentBar::legendHeight(int width) const
{
    if (m_legend.isEmpty())
        return 0;
    const QFontMetrics fm = fontMetrics();
    const int lineHeight = std::max(fm.height(), kSwatch);
    int x = 0, lines = 1;
    for (const auto& e : m_legend) {
        const int w = kSwatch + 4 + fm.horizontalAdvance(e.text) + kLegendGap;
        if (x > 0 && x + w > width) {
            ++lines;
            x = 0;
        }
        x += w;
    }
    return kSpacing + lines * lineHeight + (lines - 1) * 2;
}

QSize ExtentBar::sizeHint() const
{
    const int w = std::max(360, width());
    return {w, kBarHeight + 2 + legendHeight(w)};
}

QSize ExtentBar::minimumSizeHint() const
{
    return {120, kBarHeight + 2 + legendHeight(std::max(120, width()))};
}

int ExtentBar::segmentAt(QPoint pos) const
{
    const QRect bar = barRect();
    if (!bar.contains(pos) || m_total == 0)
        return -1;
    const double at = static_cast<double>(pos.x() - bar.left()) / bar.width() * static_cast<double>(m_total);
    for (int i = 0; i < m_segments.size(); ++i) {
        const auto& s = m_segments[i];
        if (at >= static_cast<double>(s.offset) && at < static_cast<double>(s.offset + s.length))
            return i;
    }
    return -1;
}

bool ExtentBar::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int i = segmentAt(help->pos());
        if (i >= 0 && !m_segments[i].toolTip.isEmpty())
            QToolTip::showText(help->globalPos(), m_segments[i].toolTip, this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void ExtentBar::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette& pal = palette();
    const QRect bar = barRect();

    p.fillRect(bar, pal.color(QPalette::Base));
    if (m_total > 0) {
        const double scale = static_cast<double>(bar.width()) / static_cast<double>(m_total);
        struct Run {
            int x0, x1;
            QColor color;
            QString label;
        };
        // Pixel runs: neighbouring segments of one colour that are too thin to tell apart
        // merge into one run (a finely striped volume has thousands of pieces).
        QList<Run> runs;
        for (const auto& s : m_segments) {
            const int x0 = bar.left() + static_cast<int>(static_cast<double>(s.offset) * scale);
            int x1 = bar.left() + static_cast<int>(static_cast<double>(s.offset + s.length) * scale);
            x1 = std::max(x1, x0 + 1); // a tiny piece stays visible
            if (!runs.isEmpty() && runs.last().color == s.color && (x1 - x0 < 24 || runs.last().x1 - runs.last().x0 < 24)) {
                Run& last = runs.last();
                last.x1 = std::max(last.x1, x1);
                if (last.label != s.label)
                    last.label.clear();
                continue;
            }
            runs << Run{x0, x1, s.color, s.label};
        }
        for (int i = 0; i < runs.size(); ++i) {
            const Run& r = runs[i];
            const QRect rect(r.x0, bar.top(), r.x1 - r.x0, bar.height());
            p.fillRect(rect, r.color);
            if (i > 0 && r.x1 - r.x0 >= 4 && runs[i - 1].x1 - runs[i - 1].x0 >= 4) {
                p.setPen(pal.color(QPalette::Base));
                p.drawLine(r.x0, bar.top(), r.x0, bar.bottom());
            }
            if (!r.label.isEmpty()) {
                const QString text = fontMetrics().elidedText(r.label, Qt::ElideRight, rect.width() - 6);
                if (text.size() > 1 && text != QStringLiteral("…")) {
                    p.setPen(r.color.lightnessF() > 0.55 ? QColor(Qt::black) : QColor(Qt::white));
                    p.drawText(rect.adjusted(3, 0, -3, 0), Qt::AlignCenter, text);
                }
            }
        }
    } else {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(bar, Qt::AlignCenter, tr("no extents"));
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(bar.adjusted(0, 0, -1, -1));

    // Legend: swatch + text, wrapped to the widget's width, in the palette's text colour.
    const QFontMetrics fm = fontMetrics();
    const int lineHeight = std::max(fm.height(), kSwatch);
    int x = 0;
    int y = bar.bottom() + 1 + kSpacing;
    for (const auto& e : m_legend) {
        const int w = kSwatch + 4 + fm.horizontalAdvance(e.text) + kLegendGap;
        if (x > 0 && x + w > width()) {
            x = 0;
            y += lineHeight + 2;
        }
        const QRect sw(x, y + (lineHeight - kSwatch) / 2, kSwatch, kSwatch);
        p.fillRect(sw, e.color);
        p.setPen(pal.color(QPalette::Mid));
        p.drawRect(sw.adjusted(0, 0, -1, -1));
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRect(x + kSwatch + 4, y, w, lineHeight), Qt::AlignLeft | Qt::AlignVCenter, e.text);
        x += w;
    }
}

} // namespace offload::ui
