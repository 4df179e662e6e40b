"""Lighthouse (npm, pinned in tests/tools/package.json) run with the system's Chromium: a page's category scores
on Lighthouse's phone profile, and the audits that cost it points."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.artefacts import artefact_dir
from tests.support.browser import CHROMIUM
from tests.support.requirements import require

TOOLS_DIR = Path(__file__).resolve().parent.parent / "tools"
LIGHTHOUSE = TOOLS_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices")
RUN_SECONDS = 180  # a phone-profile run takes 15-30 s here; a hung Chromium must not hang the suite


@dataclass
class Report:
    url: str
    final_url: str  # where the page ended after redirects: a refusal would send a visitor to sign in
    status: int  # the page's own HTTP status
    scores: dict[str, float]  # 0..1 by category
    losses: dict[str, list[str]]  # by category: the audits below full marks, with what Lighthouse says of each

    def below(self, floor: float) -> dict[str, float]:
        return {name: score for name, score in self.scores.items() if score < floor}


def lighthouse(url: str, *, name: str, cookie: str = "") -> Report:
    """Runs Lighthouse on ``url`` (phone form factor, simulated throttling: its defaults) and keeps the JSON
    report as a test artefact named ``name``."""
    node = shutil.which("node")
    require("Node.js", node is not None)
    require("Lighthouse (make test installs it)", LIGHTHOUSE.exists())
    require("Chromium", CHROMIUM.exists())
    assert node is not None
    output = artefact_dir("lighthouse") / f"{name}.json"
    command = [
        node,
        str(LIGHTHOUSE),
        url,
        f"--chrome-path={CHROMIUM}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={output}",
        "--quiet",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, check=True, timeout=RUN_SECONDS, capture_output=True)
    result = json.loads(output.read_text(encoding="utf-8"))
    scores = {name: result["categories"][name]["score"] for name in CATEGORIES}
    losses: dict[str, list[str]] = {}
    for name in CATEGORIES:
        for reference in result["categories"][name]["auditRefs"]:
            audit = result["audits"][reference["id"]]
            if reference["weight"] and audit.get("score") is not None and audit["score"] < 1:
                losses.setdefault(name, []).append(f"{audit['id']} {audit['score']} {audit.get('displayValue', '')}")
    requests = result["audits"]["network-requests"]["details"]["items"]
    status = next(request["statusCode"] for request in requests if request["url"] == result["finalDisplayedUrl"])
    return Report(url, result["finalDisplayedUrl"], status, scores, losses)
