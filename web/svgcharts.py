"""Small charts drawn on the server as inline SVG: no script, so they read the same on a phone, on paper and in the
weekly report's PDF (printed by headless Chromium)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DAY_NAMES = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")


@dataclass(frozen=True)
class Sparkline:
    """Counts per period drawn as a polyline (width × height in CSS pixels)."""

    starts: list[date]
    counts: list[int]
    width: int = 240
    height: int = 48

    @property
    def points(self) -> str:
        top = max(self.counts, default=0) or 1
        step = self.width / max(len(self.counts) - 1, 1)
        return " ".join(
            f"{i * step:.1f},{self.height - 4 - (n / top) * (self.height - 8):.1f}" for i, n in enumerate(self.counts)
        )

    @property
    def last_point(self) -> tuple[float, float]:
        x, y = self.points.split()[-1].split(",")
        return float(x), float(y)

    @property
    def description(self) -> str:
        """What a screen reader says instead of the line."""
        if not self.counts:
            return "Belum ada data."
        return (f"Pengaduan per minggu, {len(self.counts)} minggu terakhir: "
                + ", ".join(str(n) for n in self.counts) + f". Minggu ini {self.counts[-1]}.")  # fmt: skip


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class DayBars:
    """Complaints per day as labelled vertical bars (a week or a few; longer ranges are summed per week)."""

    days: list[date]
    counts: list[int]
    weekly: bool = False
    height: int = 160

    @property
    def width(self) -> int:
        """About 48 px a bar, so a week draws at its natural size on a 390 px phone (labels stay 11 px)."""
        return max(320, min(640, 48 * len(self.counts)))

    @property
    def bars(self) -> list[Bar]:
        top = max(self.counts, default=0) or 1
        slot = self.width / max(len(self.counts), 1)
        plot = self.height - 36
        out = []
        for i, (day, n) in enumerate(zip(self.days, self.counts)):
            h = plot * n / top
            label = f"{day.day}/{day.month}" if self.weekly or len(self.days) > 7 else f"{DAY_NAMES[day.weekday()]} {day.day}"
            out.append(Bar(i * slot + slot * 0.15, 16 + plot - h, slot * 0.7, h, n, label))
        return out

    @property
    def show_every(self) -> int:
        """Label every n-th bar so the labels do not overlap."""
        return max(1, -(-len(self.counts) // 14))
