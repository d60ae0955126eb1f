"""The digest as a manager sees it: the demo's page rendered by headless Chromium, checked by its pixels.

Chromium is a requirement of this suite, not an option: CI installs Debian's
`chromium`, and a missing browser fails the test rather than hiding it.
Set UPDATE_DOCS_SCREENSHOT=1 to also write the README's docs/digest.png.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from groundswell import store
from groundswell.delivery.digest import render_html
from signals import nrr
from tests.groundswell.test_cli import REPO, run

AS_OF, WEEK_BEFORE = "2026-10-31", "2026-10-24"
WIDTH, HEIGHT = 1100, 1800
HEADLESS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def digest_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("headless Chromium is required for the digest screenshot: install Debian's chromium "
                    "(apt-get install chromium)")
    folder = tmp_path_factory.mktemp("digest")
    demo = run("demo", cwd=folder)
    assert demo.returncode == 0, demo.stderr
    db = f"sqlite:///{folder / 'groundswell.db'}"
    now, before = (json.loads(run("report", "--format", "json", "--as-of", day, "--db", db, cwd=folder).stdout)
                   for day in (AS_OF, WEEK_BEFORE))
    page = folder / "digest.html"
    page.write_text(render_html(now, trend=trend(db), overdue=overdue(now), changes=changes(now, before)),
                    encoding="utf-8")
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        save_docs_screenshot(browser, page, folder)
    return screenshot(browser, page, folder)


def screenshot(browser: str, page: Path, folder: Path, *, height: int = HEIGHT, name: str = "digest.png",
               flags: tuple[str, ...] = ()) -> Path:
    png = folder / name
    command = [browser, *HEADLESS, *flags, f"--user-data-dir={folder / 'profile'}", f"--window-size={WIDTH},{height}",
               f"--screenshot={png}", page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert png.exists(), f"Chromium wrote no screenshot (exit {result.returncode}): {result.stderr[-2000:]}"
    return png


def save_docs_screenshot(browser: str, page: Path, folder: Path) -> None:
    """docs/digest.png for the README: the page down to the end of the top risks, cut in a gap between sections."""
    image = read_png(screenshot(browser, page, folder, height=3200, name="docs.png", flags=("--hide-scrollbars",)))
    background = (image[:, 20:-20, :3] == image[0, 0, :3]).all(axis=(1, 2))
    top_risks_end = 1800
    gap = next(y for y in range(top_risks_end, len(image) - 24) if background[y:y + 24].all())
    write_png(REPO / "docs" / "digest.png", image[:gap + 24, :, :3])


# What the caller computes alongside the report ----------------------------------

def trend(db: str) -> list[dict[str, Any]]:
    """Retention at each month end, over twelve months or as much history as there is (as the report does)."""
    engine = store.make_engine(db)
    with Session(engine) as session:
        history = store.load_revenue(session)
    engine.dispose()
    months = sorted({nrr.Month.parse(m) for per in history.values() for m in per})
    rows = [nrr.retention(history, max(end - 12, months[0]), end) for end in months[1:]]
    return [{"month": str(r.end), "nrr": r.nrr, "grr": r.grr} for r in rows]


def overdue(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Action items due in the fortnight before the report's date (older ones count as stale, as actions.py does)."""
    fortnight = (date.fromisoformat(report["as_of"]) - timedelta(days=14)).isoformat()
    return [{"title": s["evidence"], "account_id": a["account_id"], "account_name": a["name"], "owner": s.get("owner"),
             "due": s["due"]}
            for a in report["accounts"] for s in a["signals"]
            if s["type"] == "action_item" and fortnight <= (s.get("due") or "") < report["as_of"]]


def changes(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    def at_stake(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {a["account_id"]: a for a in sorted(report["accounts"], key=lambda a: -stake(a["projected"]))[:5]}

    def stake(figures: dict[str, Any], prefix: str = "") -> float:
        return figures[f"{prefix}churn_mrr"] + figures[f"{prefix}contraction_mrr"]

    new, old = at_stake(now), at_stake(before)
    return {"new_risks": [{"account_id": i, "name": a["name"], "mrr_at_stake": stake(a["projected"])}
                          for i, a in new.items() if i not in old],
            "resolved": [{"account_id": i, "name": a["name"]} for i, a in old.items() if i not in new],
            "projected_nrr_delta": now["portfolio"]["projected_nrr"] - before["portfolio"]["projected_nrr"],
            "mrr_at_risk_delta": stake(now["portfolio"], "projected_") - stake(before["portfolio"], "projected_")}


# Pixels ---------------------------------------------------------------------------

def read_png(path: Path) -> np.ndarray:
    """An 8-bit RGB(A), non-interlaced PNG (what Chromium writes) as a height x width x channels array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body, pos = data[pos + 8:pos + 8 + size], pos + 12 + size
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and not interlace, "unsupported PNG layout"
        elif kind == b"IDAT":
            chunks.append(body)
    channels = 3 if colour == 2 else 4
    return unfilter(zlib.decompress(b"".join(chunks)), width, height, channels).reshape(height, width, channels)


def unfilter(raw: bytes, width: int, height: int, channels: int) -> np.ndarray:
    stride = width * channels
    out, previous = np.zeros((height, stride), dtype=np.uint8), np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        if kind == 1:
            line = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1)
        elif kind == 2:
            line = line + previous
        elif kind in (3, 4):
            line = np.array(unfilter_sequential(line.tolist(), previous.tolist(), channels, average=kind == 3))
        previous = line & 255
        out[y] = previous
    return out


def unfilter_sequential(line: list[int], above: list[int], bpp: int, *, average: bool) -> list[int]:
    """The Average and Paeth filters, which depend on the byte just decoded to the left."""
    for i, value in enumerate(line):
        a, b, c = (line[i - bpp], above[i], above[i - bpp]) if i >= bpp else (0, above[i], 0)
        if average:
            line[i] = (value + (a + b) // 2) & 255
            continue
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        line[i] = (value + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return line


def write_png(path: Path, image: np.ndarray) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    height, width, _ = image.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in image.astype(np.uint8))
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def pixels_near(image: np.ndarray, colour: str, *, tolerance: int = 0) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image[:, :, :3].astype(int) - rgb) <= tolerance).all(axis=2).sum())


# Tests -------------------------------------------------------------------------------

def test_the_screenshot_is_a_full_page(digest_png: Path) -> None:
    image = read_png(digest_png)
    assert image.shape[:2] == (HEIGHT, WIDTH)
    background = pixels_near(image, "#f5f6f8") + pixels_near(image, "#ffffff")
    assert background < 0.95 * WIDTH * HEIGHT, "the page is blank"
    assert len(np.unique(image[:, :, :3].reshape(-1, 3), axis=0)) > 200  # text, charts and cards, not a flat fill


def test_the_waterfall_bars_are_drawn(digest_png: Path) -> None:
    image = read_png(digest_png)
    assert pixels_near(image, "#d92d20") > 1500, "no churn bar"  # chart colours appear in the charts only
    assert pixels_near(image, "#039855") > 500, "no expansion bar"
    assert pixels_near(image, "#98a2b3") > 3000, "no start bar"


def test_the_nrr_trend_lines_are_drawn(digest_png: Path) -> None:
    image = read_png(digest_png)
    assert pixels_near(image, "#1570ef", tolerance=40) > 400, "no NRR line"
    assert pixels_near(image, "#7f56d9", tolerance=40) > 100, "no GRR line"  # often under the NRR line
