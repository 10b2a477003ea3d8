"""The review's site in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by selenium.

The page is opened from disk with name resolution switched off, so that a resource fetched from
anywhere but the site folder fails loudly. Checked: no console message of level SEVERE (a
script error, a failed load, a Content-Security-Policy violation), every image loaded, every
link inside the site resolves (anchors to an element, files to a file), every outcome's section
is in the DOM, and the screenshot is not blank; for the bundled LDN review and for the BCG
review. ``.ci/run`` installs the browser; without it these tests skip and say why.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ldn_evidence as le
from ldn_evidence.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,1600"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="headless Chromium is not installed (apt-get install chromium chromium-driver; "
                              ".ci/run does this)"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extras")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


BCG = Path(__file__).resolve().parents[1] / "data" / "reviews" / "bcg" / "studies.yaml"


@pytest.fixture(scope="module", params=["ldn", "bcg"])
def loaded(request, browser, ldn_site, tmp_path_factory):
    """The page of the bundled LDN review, then of the BCG review, loaded in the browser."""
    if request.param == "ldn":
        site, _ = ldn_site
    else:
        if not BCG.is_file():
            pytest.skip("the BCG review is not in this version (data/reviews/bcg/studies.yaml)")
        site = write_report(le.load_studies(BCG), tmp_path_factory.mktemp("bcg-site"))
    browser.get(site.index.resolve().as_uri())
    return browser, site, browser.get_log("browser")


def test_no_console_errors(loaded):
    _, _, log = loaded
    severe = [entry for entry in log if entry["level"] in ("SEVERE", "ERROR")]
    assert severe == []


def test_every_image_loads_and_every_link_inside_the_site_resolves(loaded):
    driver, site, _ = loaded
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.currentSrc, i.complete && i.naturalWidth > 0])")
    assert [src for src, ok in images if not ok] == []
    links = driver.execute_script(
        "return Array.from(document.links).map(a => [a.getAttribute('href'), a.protocol, a.pathname, a.hash])")
    inside = [link for link in links if link[1] == "file:"]
    assert len(inside) > 2 * len(site.outcomes) + 10  # contents, each outcome's links, studies, downloads
    for href, _, path, fragment in inside:
        if href.startswith("#"):
            found = driver.execute_script("return document.getElementById(arguments[0]) !== null", fragment[1:])
            assert found, href
        else:
            assert (site.folder / href).is_file(), href
    assert all(protocol == "https:" or protocol == "http:" for _, protocol, _, _ in links if protocol != "file:")


def test_every_outcome_section_is_in_the_page(loaded):
    driver, site, _ = loaded
    ids = set(driver.execute_script("return Array.from(document.querySelectorAll('section[id]')).map(s => s.id)"))
    assert site.outcomes
    for outcome in site.outcomes:
        assert f"outcome-{outcome}" in ids
    svgs = driver.execute_script("return Array.from(document.querySelectorAll('figure svg')).map("
                                 "s => s.getBoundingClientRect().width)")
    assert len(svgs) >= 3 and min(svgs) > 200  # forest plots, PRISMA, risk of bias, cumulative, TSA drawn


def test_screenshot_is_not_blank(loaded, tmp_path):
    from matplotlib.image import imread

    driver, _, _ = loaded
    driver.execute_script("window.scrollTo(0, 0)")
    path = tmp_path / "page.png"
    assert driver.save_screenshot(str(path))
    pixels = imread(path)[..., :3]
    assert pixels.shape[0] > 500 and pixels.shape[1] > 800
    not_white = (pixels.min(axis=2) < 0.9).mean()
    assert 0.02 < not_white < 0.9, not_white  # text and tables on a white page
    assert pixels.std() > 0.05


def test_the_checks_catch_a_page_that_breaks_them(browser, tmp_path):
    """A control: a missing image and a resource from the network are reported as SEVERE."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>t</title></head><body><img src="missing.png">'
                   '<img src="https://example.org/x.png"></body></html>', encoding="utf-8")
    browser.get(bad.as_uri())
    log = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert any("missing.png" in m for m in log) and any("example.org" in m for m in log), log
