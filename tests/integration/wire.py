"""Clients that talk to a running server the way real ones do: httpx over HTTP, the
``websockets`` package over WebSocket. No Django in here: these tests only see the wire."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

PASSWORD = "demo12345"
SOCIAL_WORKER = "13800000004"
ORG_ADMIN = "13800000003"
SEEDED_IN_PROGRESS_PROJECT = "京东社区独居老人探访"
SEEDED_VOLUNTEER = "13800001000"  # confirmed on the seeded shift that is happening now


def volunteer_phone(index: int) -> str:
    """The seeded volunteers: 13800001000 onwards (seed_demo --volunteers N, default 20)."""
    return f"138{1000 + index:08d}"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Api:
    """One logged-in user: a Bearer token for REST, the session cookie for a browser socket."""

    base_url: str
    ws_url: str
    token: str
    user: dict
    session_cookie: str
    http: httpx.Client = field(repr=False)

    @classmethod
    def login(cls, base_url: str, ws_url: str, phone: str, password: str = PASSWORD) -> Api:
        http = httpx.Client(base_url=base_url, timeout=15, trust_env=False)
        response = http.post("/api/v1/auth/login/", json={"phone": phone, "password": password})
        assert response.status_code == 200, response.text
        session = _cookie(response, "sessionid")
        assert session, f"login set no session cookie: {response.headers.get_list('set-cookie')}"
        http.cookies.clear()  # REST goes by token only; the cookie is for the browser socket test
        body = response.json()
        http.headers["Authorization"] = f"Bearer {body['token']}"
        return cls(base_url, ws_url, body["token"], body["user"], session, http)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def post(self, path: str, payload: dict | None = None) -> httpx.Response:
        return self.http.post(path, json=payload)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, (response.request.method, response.request.url,
                                                response.status_code, response.text)
        return response.json() if response.content else None

    def all_pages(self, path: str, **params: Any) -> list[dict]:
        page = self.ok(self.get(path, **params))
        results = list(page["results"])
        while page["next"]:
            page = self.ok(self.http.get(page["next"]))
            results += page["results"]
        return results

    def ws_ticket(self) -> str:
        return self.ok(self.post("/api/v1/ws-ticket/"), 201)["ticket"]

    def socket(self) -> Socket:
        """A non-browser client: connect, send the ticket first, wait for ``ready``."""
        sock = Socket.open(self.ws_url)
        sock.send({"type": "auth", "ticket": self.ws_ticket()})
        ready = sock.next_frame(timeout=5)
        assert ready == {"type": "ready", "user": self.user["id"]}, ready
        return sock

    def close(self) -> None:
        self.http.close()


def _cookie(response: httpx.Response, name: str) -> str | None:
    # Parsed by hand: in full mode the cookie is Secure, which a cookie jar keeps from http://.
    for header in response.headers.get_list("set-cookie"):
        first = header.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


class Socket:
    """A WebSocket client that keeps every frame it saw, so a test can wait for one kind
    of notification without losing the others."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[dict] = []

    @classmethod
    def open(cls, ws_url: str, *, origin: str | None = None, cookie: str | None = None) -> Socket:
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else None
        conn = connect(ws_url, origin=origin, additional_headers=headers, proxy=None,
                       open_timeout=5, close_timeout=2, legacy=True)
        return cls(conn)

    def send(self, frame: dict) -> None:
        self.conn.send(json.dumps(frame))

    def next_frame(self, timeout: float) -> dict:
        frame = json.loads(self.conn.recv(timeout=timeout))
        self.seen.append(frame)
        return frame

    def wait_for(self, kind: str, timeout: float = 10, **data: Any) -> dict:
        """The next notification of ``kind`` whose ``data`` has the given items."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} {data} within {timeout}s; frames seen: {self.seen}")
            try:
                frame = self.next_frame(timeout=left)
            except TimeoutError:
                continue
            if (frame.get("type") == "notification" and frame.get("kind") == kind
                    and all(frame["data"].get(k) == v for k, v in data.items())):
                return frame

    def close_code(self, timeout: float = 5) -> int | None:
        """Read until the server closes; return its close code (fail on a data frame)."""
        try:
            frame = self.conn.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        raise AssertionError(f"expected the server to close the socket, got {frame}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def future_shift(worker: Api, project_id: int, *, starts_in: timedelta, capacity: int,
                 hours: float = 2) -> dict:
    starts = now() + starts_in
    return worker.ok(worker.post(f"/api/v1/projects/{project_id}/shifts/", {
        "starts_at": iso(starts), "ends_at": iso(starts + timedelta(hours=hours)), "capacity": capacity,
    }), 201)


def published_project(worker: Api, title: str) -> dict:
    """A social worker drafts a project for an organization they work for and submits it;
    the organization's admin (the default reviewer) publishes it."""
    admin = Api.login(worker.base_url, worker.ws_url, ORG_ADMIN)
    reviewed = {o["id"] for o in admin.ok(admin.get("/api/v1/me/"))["organizations"] if o["role"] == "org_admin"}
    me = worker.ok(worker.get("/api/v1/me/"))
    org = next(o for o in me["organizations"] if o["role"] == "social_worker" and o["id"] in reviewed)
    project = worker.ok(worker.post("/api/v1/projects/", {
        "organization": org["id"], "title": title, "region": "410902001",
        "description": "集成测试：社工带领义工上门探访。", "address": "华龙区中原路街道",
        "skills": ["陪伴"], "targets": ["elderly"],
    }), 201)
    assert project["status"] == "draft"
    submitted = worker.ok(worker.post(f"/api/v1/projects/{project['id']}/publish/"))
    assert submitted["status"] == "submitted"
    published = admin.ok(admin.post(f"/api/v1/projects/{project['id']}/publish/"))
    assert published["status"] == "published"
    return published
