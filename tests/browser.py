"""A real headless browser for the report's HTML (chromium; CI installs it in .ci/run).

``clipped_text`` loads a copy of the page with a measuring script added and returns the texts a
reader would see cut: chart titles wider than their chart, headings and cards cut by overflow.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

_MEASURE = """<script>
const clipped = [];
for (const chart of document.querySelectorAll('svg.chart')) {
  const width = chart.viewBox.baseVal.width || chart.width.baseVal.value;
  for (const title of chart.querySelectorAll('text.t')) {
    const box = title.getBBox();
    if (box.x < -0.5 || box.x + box.width > width + 0.5) clipped.push(title.textContent);
  }
}
for (const el of document.querySelectorAll('h1, h2, .card span, .card b, .card small, th')) {
  const style = getComputedStyle(el);
  if (style.textOverflow === 'ellipsis' || (style.overflow !== 'visible' && el.scrollWidth > el.clientWidth + 1)) {
    clipped.push(el.textContent);
  }
}
document.body.setAttribute('data-clipped', JSON.stringify(clipped));
</script>"""


def chromium() -> str:
    binary = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if binary is None:
        if IN_CI:
            pytest.fail("no chromium binary: CI must run the browser check")
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    return binary


def clipped_text(page_html: str, tmp_path: Path) -> list[str]:
    """Texts of the page that the browser lays out cut (an empty list when none is)."""
    page = tmp_path / "measured.html"
    page.write_text(page_html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,2400", "--dump-dom", page.as_uri()],
        check=True, capture_output=True, text=True, timeout=60,
    )
    found = re.search(r'data-clipped="([^"]*)"', result.stdout)
    assert found, "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))
