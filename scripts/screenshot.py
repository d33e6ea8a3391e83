r"""Take a screenshot of the live demo dashboard in headless Chromium (run by scripts/screenshot).

    python scripts/screenshot.py [--url http://127.0.0.1:8123] [--output docs/dashboard.png] \
        [--wait 240] [--scenario home] [--speed 60] [--start HH:MM]

Without --url it runs `scripts/develop --scenario ... --speed ... --reset --port <free port>
--ocpp-port <free port>` with a throw-away config dir (DEVELOP_CONFIG; ./config is not touched)
and stops it at the end. It waits until Home Assistant is up and the live runner publishes
(sensor.demo_site_time), lets the scenario run `--wait` seconds, then opens the dashboard in
Debian's Chromium (/usr/bin/chromium, driven by playwright), logs in through the login page,
waits for the cards, checks them and saves the screenshot. Fails (exit 1) with a message when a
card is missing, a card shows an error or an unavailable entity, or a chart has no history.

The charger cards it expects are those of the scenario day the live runner shows (the `scenario`
attribute of sensor.demo_site_time, looked up in `--scenario`, then in benchmarks/scenarios/):
chargers of an earlier run in the same config (the default simulators of `scripts/develop`, another
scenario) still have entities in Home Assistant, but no card on the dashboard.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import IO, Any

from develop_helper import HttpError, _request, login
from playwright.sync_api import Error as PlaywrightError, Page, sync_playwright

from simulator import live

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DASHBOARD_PATH = "smart-charging-demo"
VIEWPORT = {"width": 1400, "height": 1000}
HA_START_TIMEOUT = 900  # s: a first start installs HA's frontend from PyPI
RUNNER_TIMEOUT = 300  # s from HA up to the live runner's first publication
CARD_TIMEOUT = 60_000  # ms for the dashboard to render
SITE_TIME = "sensor.demo_site_time"
CHARTS = ("Grid current per phase vs fuse", "Power", "Allocation per connector", "Limit reason")
EXPECTED_CARDS = (*CHARTS, "Site")


class ScreenshotError(Exception):
    """The dashboard could not be shown or does not look right."""


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"screenshot: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------------------------------
# Home Assistant (started here or already running)
# --------------------------------------------------------------------------------------------------
class Develop:
    """`scripts/develop` in the background, stopped (with everything it started) on exit."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Pick free ports and a throw-away config dir; nothing runs yet."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Inside the repository (gitignored): a newest HA in the Debian root sees only that.
        self.config = Path(tempfile.mkdtemp(prefix=".screenshot-config-", dir=ROOT))
        self.log_path = self.config.with_suffix(".log")
        self.command = [
            str(ROOT / "scripts" / "develop"),
            "--reset",
            "--port",
            str(self.port),
            "--ocpp-port",
            str(free_port()),
            "--scenario",
            args.scenario,
            "--speed",
            str(args.speed),
            *(["--start", args.start] if args.start else []),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __enter__(self) -> Develop:
        """Start it (its output goes to a log file, shown if something fails)."""
        log(f"starting {' '.join(self.command)} (log: {self.log_path})")
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env={**os.environ, "DEVELOP_CONFIG": str(self.config)},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def check_running(self) -> None:
        """Raise if scripts/develop exited."""
        if self.process is not None and self.process.poll() is not None:
            raise ScreenshotError(
                f"scripts/develop exited ({self.process.returncode}):\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 40) -> str:
        """The end of its output."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(self, *_exc: object) -> None:
        """SIGTERM scripts/develop (it stops the runner, then HA) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            log("stopping Home Assistant")
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=180)
            except subprocess.TimeoutExpired:
                log("scripts/develop did not stop in 180 s; killing its process group")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.config, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)


def wait_for_demo(url: str, user: str, password: str, develop: Develop | None) -> str:
    """Wait until HA accepts the login and the live runner publishes; return a token."""
    deadline = time.monotonic() + HA_START_TIMEOUT
    token = None
    while token is None:
        if develop is not None:
            develop.check_running()
        try:
            token = login(url, user, password)
        except HttpError as err:
            if time.monotonic() > deadline:
                raise ScreenshotError(f"Home Assistant at {url} did not come up: {err}") from err
            time.sleep(2)
    log(f"logged in to {url} as {user}; waiting for the live scenario")
    deadline = time.monotonic() + RUNNER_TIMEOUT
    while True:
        if develop is not None:
            develop.check_running()
        with contextlib.suppress(HttpError):
            state: dict[str, Any] = _request(f"{url}/api/states/{SITE_TIME}", token=token)
            log(
                f"the live scenario runs ({state['attributes'].get('scenario')}, "
                f"site time {state['state']})"
            )
            return token
        if time.monotonic() > deadline:
            raise ScreenshotError(f"{SITE_TIME} never appeared: is the live runner running?")
        time.sleep(2)


def site_day(url: str, token: str) -> str:
    """The name of the scenario day the live runner shows now (it moves on to the next day)."""
    state: dict[str, Any] = _request(f"{url}/api/states/{SITE_TIME}", token=token)
    day = state["attributes"].get("scenario")
    if not day:
        raise ScreenshotError(f"{SITE_TIME} names no scenario day: is the live runner running?")
    return str(day)


def charger_ids(day_name: str, scenario: str) -> list[str]:
    """The chargers the dashboard shows: those of the scenario day the live runner shows.

    Not every charger Home Assistant knows: a config shared with an earlier `scripts/develop`
    run keeps that run's chargers (their entities stay, unavailable), and the dashboard has no
    card for them. The day is looked up in `scenario` first, then in every scenario file.
    """
    candidates = [scenario, *sorted(str(path) for path in live.SCENARIO_DIR.glob("*.toml"))]
    for candidate in dict.fromkeys(candidates):
        try:
            days = live.load_days(candidate)
        except (OSError, ValueError) as err:
            log(f"cannot read the scenario {candidate}: {err}")
            continue
        for day in days:
            if day.name == day_name:
                return [plan.charger_id for plan in day.chargers]
    raise ScreenshotError(
        f"the live runner shows the day {day_name!r}, which no scenario file has "
        f"(give its file with --scenario)"
    )


# --------------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------------
def log_in(page: Page, user: str, password: str) -> None:
    """Fill HA's login page (the dashboard URL redirects there) and submit it."""
    page.locator("input[name='username']").fill(user, timeout=CARD_TIMEOUT)
    page.locator("input[name='password']").fill(password)
    page.locator("input[name='password']").press("Enter")


def check_dashboard(page: Page, chargers: list[str]) -> list[str]:
    """Wait for the cards; return what is wrong with them (empty: all good)."""
    page.locator("hui-history-graph-card").first.wait_for(timeout=CARD_TIMEOUT)
    # Charts fetch their history over the websocket, then animate.
    page.locator("hui-history-graph-card ha-chart-base").first.wait_for(timeout=CARD_TIMEOUT)
    page.wait_for_timeout(4000)
    problems = []
    for title in (*EXPECTED_CARDS, *chargers):
        # Newer frontends put a link and its tooltip text in the header after the title.
        title_first = re.compile(rf"^\s*{re.escape(title)}(\s|$)")
        header = page.locator(".card-header, .name").filter(has_text=title_first)
        if header.count() == 0:
            problems.append(f"no {title!r} card")
    for selector in ("hui-warning", "hui-error-card"):
        problems.extend(
            f"{selector}: {text.strip()}" for text in page.locator(selector).all_inner_texts()
        )
    empty = page.get_by_text("No state history found").count()
    if empty:
        problems.append(f"{empty} chart(s) without history")
    charts = page.locator("hui-history-graph-card ha-chart-base").count()
    if charts < len(CHARTS):
        problems.append(f"only {charts} charts rendered")
    return problems


def take_screenshot(url: str, user: str, password: str, output: Path, chargers: list[str]) -> None:
    """Open the dashboard, log in, check it and save the screenshot."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            page = context.new_page()
            page.goto(f"{url}/{DASHBOARD_PATH}", wait_until="domcontentloaded")
            log_in(page, user, password)
            page.wait_for_url(f"**/{DASHBOARD_PATH}**", timeout=CARD_TIMEOUT)
            problems = check_dashboard(page, chargers)
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output))
            log(f"saved {output} ({VIEWPORT['width']}x{VIEWPORT['height']})")
        except PlaywrightError as err:
            raise ScreenshotError(f"the browser: {err}") from err
        finally:
            browser.close()
    if problems:
        raise ScreenshotError("the dashboard is not right:\n  " + "\n  ".join(problems))


def main() -> int:
    """Parse the command line, bring up the demo (or use --url), take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", help="a running HA started with scripts/develop --scenario")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--wait", type=float, default=240, help="s the scenario runs first")
    parser.add_argument(
        "--scenario",
        default="home",
        help="the scenario to run; with --url, where to look up the running day first",
    )
    parser.add_argument("--speed", type=float, default=60)
    parser.add_argument("--start", default="17:00", help="HH:MM the site starts at (17:00)")
    parser.add_argument("--username", default="dev")
    parser.add_argument("--password", default="dev")
    args = parser.parse_args()
    develop = None if args.url else Develop(args)
    try:
        with develop or contextlib.nullcontext():
            url = args.url.rstrip("/") if args.url else develop.url  # type: ignore[union-attr]
            token = wait_for_demo(url, args.username, args.password, develop)
            log(f"letting the scenario run for {args.wait:.0f} s")
            end = time.monotonic() + args.wait
            while time.monotonic() < end:
                if develop is not None:
                    develop.check_running()
                time.sleep(min(5.0, max(0.0, end - time.monotonic())))
            chargers = charger_ids(site_day(url, token), args.scenario)
            log(f"the dashboard shows the chargers {', '.join(chargers)}")
            take_screenshot(url, args.username, args.password, args.output, chargers)
    except ScreenshotError as err:
        log(f"FAILED: {err}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
