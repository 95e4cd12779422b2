"""Browser end-to-end tests: Debian's chromium, driven through Playwright's sync API,
against the platform as ``make run`` serves it (embedded mode: SQLite, Channels'
in-memory layer, Celery on a thread inside the uvicorn process, demo data, the built
frontend in ``frontend/dist``).

Without ``/usr/bin/chromium`` the tests are skipped; with ``REQUIRE_BROWSER=1`` (CI) that
fails the run instead. Every page a test visits is saved as a screenshot under
``test-artifacts/screenshots/`` (git-ignored) so that a person can look at it."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
DIST_INDEX = REPO / "frontend" / "dist" / "index.html"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

PASSWORD = "demo12345"
SOCIAL_WORKER = "13800000004"
ORG_ADMIN = "13800000003"  # admin of the first demo organization: reviews its projects
SEEDED_VOLUNTEER = "13800001000"  # confirmed on the seeded shift that is happening now
SEEDED_IN_PROGRESS_PROJECT = "京东社区独居老人探访"

# Settings that the test process carries (pytest-django loads settings_test, which sets
# test doubles in os.environ) and that must not leak into the server: it runs with the
# production settings in embedded mode, exactly as `make run` does.
_SCRUB = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER",
          "CELERY_EMBEDDED_WORKER", "SMS_BACKEND", "SMS_THROTTLE", "CHANNELS_PREFIX", "SECRET_KEY",
          "DEBUG", "VAR_DIR", "PYTHONPATH", "DB_POOL", "DB_POOL_MIN", "DB_POOL_MAX", "ALLOWED_HOSTS",
          "CSRF_TRUSTED_ORIGINS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT")

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Timeouts (milliseconds for Playwright, seconds elsewhere).
UI_TIMEOUT = 10_000
LIVE_TIMEOUT = 10.0  # a notification over the WebSocket; measured ~10-100 ms
TASK_TIMEOUT = 30.0  # a Celery task on the embedded worker thread, then its notification


def volunteer_phone(index: int) -> str:
    """The seeded volunteers: 13800001000 onwards (seed_demo --volunteers N, default 20)."""
    return f"138{1000 + index:08d}"


# ---------------------------------------------------------------------------- chromium


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests need Debian's chromium: {reason} (REQUIRE_BROWSER=1 fails instead)")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_instance(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT)
    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, headless=True,
                                                  args=LAUNCH_ARGS)
    try:
        yield browser
    finally:
        browser.close()


# ------------------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@dataclass
class Server:
    base_url: str
    db_path: Path
    log: Path
    proc: subprocess.Popen

    def api(self, phone: str) -> Api:
        return Api.login(self.base_url, phone)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Adjust the server's SQLite database directly (test set-up only)."""
        with sqlite3.connect(self.db_path, timeout=20) as conn:
            rows = conn.execute(query, params).fetchall()
        conn.close()
        return rows

    def assert_alive(self) -> None:
        assert self.proc.poll() is None, f"uvicorn exited with {self.proc.returncode}:\n{_tail(self.log)}"


@pytest.fixture(scope="session")
def server(chromium_path, tmp_path_factory) -> Iterator[Server]:
    if not DIST_INDEX.exists():
        pytest.fail(f"{DIST_INDEX.relative_to(REPO)} is missing: run `make frontend` first "
                    "(`make test` builds it before the browser tests)", pytrace=False)
    home = tmp_path_factory.mktemp("browser-server")
    db_path = home / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(DATABASE_URL=f"sqlite:///{db_path}", VAR_DIR=str(home), FAST_PASSWORD_HASHER="1",
               PYTHONPATH=f"{REPO / 'platform'}{os.pathsep}{REPO}", DJANGO_SETTINGS_MODULE="config.settings",
               PYTHONUNBUFFERED="1", LOG_LEVEL="INFO")
    log = home / "server.log"
    with log.open("ab") as out:
        for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
            done = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=300, check=False)
            if done.returncode != 0:
                pytest.fail(f"manage.py {' '.join(args)} failed:\n{_tail(log)}", pytrace=False)
    port = _free_port()
    out = log.open("ab")
    proc = subprocess.Popen([PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
                             "--port", str(port), "--lifespan", "on"],
                            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    srv = Server(base_url=f"http://127.0.0.1:{port}", db_path=db_path, log=log, proc=proc)
    try:
        deadline = time.monotonic() + 40
        while True:
            srv.assert_alive()
            try:
                if httpx.get(f"{srv.base_url}/healthz/", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"uvicorn not healthy within 40 s:\n{_tail(log)}")
            time.sleep(0.1)
        yield srv
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        out.close()


@pytest.fixture
def server_log(server, request) -> Iterator[None]:
    """On failure, show the end of the server's log next to the assertion."""
    start = server.log.stat().st_size if server.log.exists() else 0
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        text = server.log.read_bytes()[start:].decode(errors="replace")
        sys.stderr.write("\n--- server log during the test ---\n" + "\n".join(text.splitlines()[-80:]) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# ------------------------------------------------------------------------- API client


@dataclass
class Api:
    """A user of the REST API with a Bearer token (set-up and cross-checks only)."""

    base_url: str
    token: str
    user: dict
    http: httpx.Client = field(repr=False)

    @classmethod
    def login(cls, base_url: str, phone: str, password: str = PASSWORD) -> Api:
        http = httpx.Client(base_url=base_url, timeout=15, trust_env=False)
        response = http.post("/api/v1/auth/login/", json={"phone": phone, "password": password})
        assert response.status_code == 200, response.text
        http.cookies.clear()
        body = response.json()
        http.headers["Authorization"] = f"Bearer {body['token']}"
        return cls(base_url, body["token"], body["user"], http)

    def call(self, method: str, path: str, payload: dict | None = None, *, status: int = 200,
             **params: Any) -> Any:
        response = self.http.request(method, path, json=payload, params=params or None)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, **params)

    def post(self, path: str, payload: dict | None = None, *, status: int = 200) -> Any:
        return self.call("POST", path, payload, status=status)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def api_for(server) -> Iterator[Callable[[str], Api]]:
    clients: list[Api] = []

    def make(phone: str) -> Api:
        client = server.api(phone)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# ------------------------------------------------------------------- pages and frames


class LiveInbox:
    """Every frame that the page's notification WebSocket receives, as the server sent it:
    proof that a notification came live over the socket (not from a reload or REST poll)."""

    def __init__(self, page) -> None:
        self.page = page
        self.sockets: list = []
        self.frames: list[dict] = []
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws) -> None:
        if "/ws/notifications/" not in ws.url:
            return
        self.sockets.append(ws)
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        try:
            frame = json.loads(payload)
        except (TypeError, ValueError):
            return
        if isinstance(frame, dict):
            self.frames.append(frame)

    def _find(self, predicate: Callable[[dict], bool]) -> dict | None:
        return next((f for f in self.frames if predicate(f)), None)

    def wait(self, predicate: Callable[[dict], bool], timeout: float, what: str) -> dict:
        """Wait on Playwright's events (a frame, or a new socket after a reconnect) in short
        slices, re-checking the frames seen after each one."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = time.monotonic() + timeout
        while True:
            found = self._find(predicate)
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout}s; frames seen: {self.frames}")
            slice_ms = max(50, min(left, 0.5) * 1000)
            try:
                if self.sockets and not self.sockets[-1].is_closed():
                    self.sockets[-1].wait_for_event("framereceived", timeout=slice_ms)
                else:
                    self.page.wait_for_event("websocket", timeout=slice_ms)
            except PlaywrightTimeout:
                pass
            except Exception as exc:  # the socket closed while waiting: look again
                if "closed" not in str(exc).lower():
                    raise

    def wait_ready(self, timeout: float = LIVE_TIMEOUT) -> dict:
        return self.wait(lambda f: f.get("type") == "ready", timeout, "ready frame")

    def wait_for(self, kind: str, timeout: float = LIVE_TIMEOUT, **data: Any) -> dict:
        def match(f: dict) -> bool:
            return (f.get("type") == "notification" and f.get("kind") == kind
                    and all((f.get("data") or {}).get(k) == v for k, v in data.items()))

        return self.wait(match, timeout, f"{kind} notification {data}")


class Shots:
    """Numbered screenshots per test: test-artifacts/screenshots/<test>-<nn>-<name>.png."""

    def __init__(self, test_name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.prefix = re.sub(r"[^A-Za-z0-9_]+", "_", test_name)[:60]
        for old in SCREENSHOTS.glob(f"{self.prefix}-*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, page, name: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(request) -> Shots:
    return Shots(request.node.name.removeprefix("test_"))


def _phone_options(playwright) -> dict:
    device = dict(playwright.devices["iPhone 12"])
    device.pop("default_browser_type", None)
    return device


@pytest.fixture
def new_context(browser, playwright_instance, server) -> Iterator[Callable[..., Any]]:
    """Browser contexts for one test: ``new_context("phone")`` (iPhone 12 descriptor) or
    ``new_context("desktop")``; all share the zh-CN locale and Beijing time."""
    contexts: list = []

    def make(kind: str = "phone"):
        options: dict[str, Any] = (_phone_options(playwright_instance) if kind == "phone"
                                   else {"viewport": {"width": 1366, "height": 900}})
        context = browser.new_context(base_url=server.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      **options)
        context.set_default_timeout(UI_TIMEOUT)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def login(page, phone: str, shot: Shots | None = None, *, password: str = PASSWORD) -> None:
    """Log in through the login page and wait for the role's home page."""
    from playwright.sync_api import expect

    page.goto("/login")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    if shot:
        shot(page, "login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/(m|console)/projects"))


def badge_count(page) -> int:
    badge = page.get_by_test_id("notification-badge")
    if badge.count() == 0:
        return 0
    text = badge.first.inner_text().strip()
    return 100 if text == "99+" else int(text)


_GLYPHS_JS = """() => {
  // Draw a Chinese character and a code point that no font has (U+10FFFD, private use):
  // without a CJK font both come out as the same .notdef box ("tofu").
  const draw = (text) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 64, 64);
    ctx.fillStyle = '#000'; ctx.font = '48px ' + getComputedStyle(document.body).fontFamily;
    ctx.fillText(text, 4, 52);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(',');
  };
  return draw('服') !== draw('\\u{10FFFD}') && draw('服') !== draw('务');
}"""


def assert_cjk_renders(page) -> None:
    """Chinese text draws as glyphs, not as boxes: a CJK font is installed (fonts-noto-cjk)."""
    assert page.evaluate(_GLYPHS_JS), ("Chinese renders as boxes (tofu): install a CJK font, "
                                       "e.g. apt-get install fonts-noto-cjk")
