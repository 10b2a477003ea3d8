"""Make docs/img/report.png, the screenshot of the review's web site that the README links (run
from the repository root: python docs/make_report_screenshot.py). Needs Debian's chromium."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import ldn_evidence as le
from ldn_evidence.report import write_report

IMG = Path(__file__).parent / "img"


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        site = write_report(le.load_studies(), Path(tmp) / "site")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={Path(tmp) / 'profile'}", "--window-size=1280,1500",
                        f"--screenshot={IMG / 'report.png'}", site.index.resolve().as_uri()],
                       check=True, capture_output=True)
    print(f"wrote {IMG / 'report.png'}")


if __name__ == "__main__":
    main()
