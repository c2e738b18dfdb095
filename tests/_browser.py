"""Headless Chromium for the map and report tests: offline, dialogs recorded, console read.

Needs Debian's chromium and chromium-driver (``make test`` installs them when run as root, as
CI is). Outside CI the tests skip when they are missing; in CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

_RECORD_DIALOGS = (
    "window.__dialogs = [];"
    "['alert', 'confirm', 'prompt', 'print'].forEach(n => {"
    " window[n] = (m) => { window.__dialogs.push(n + ':' + String(m)); return null; }; });"
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(os.environ.get("CARECIRCLES_SCREENSHOTS", "output/test-screenshots"))


def start_browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        message = "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must have them")
        pytest.skip(message)
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--proxy-server=127.0.0.1:9",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    # record (instead of showing) any alert, confirm or prompt a page tries to open
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_DIALOGS})
    return driver


def open_page(driver, path: Path) -> None:
    driver.get_log("browser")  # forget earlier pages' messages
    driver.get(path.resolve().as_uri())
    deadline = time.time() + 20
    while time.time() < deadline:
        if driver.execute_script("return document.readyState") == "complete" and driver.execute_script(
            "return typeof L !== 'undefined' ? document.querySelectorAll('.leaflet-pane').length : -1"
        ):
            return
        time.sleep(0.1)
    raise AssertionError("the Leaflet map did not initialise")


def layer_labels(driver) -> list[str]:
    """Names of the standards, layers and base maps in the map's panel."""
    script = "return [...document.querySelectorAll('.cc-choice span')].map(l => l.textContent)"
    return [label.strip() for label in driver.execute_script(script)]


def errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def shoot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def dialogs(driver) -> list[str]:
    """Alerts, confirms, prompts and print requests the page tried to open."""
    return driver.execute_script("return window.__dialogs || []")
