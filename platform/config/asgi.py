"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django first: it sets up the app registry that the imports below need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from config import embedded  # noqa: E402
from dashboard.fastpath import DashboardFastPath  # noqa: E402
from dashboard.routing import websocket_urlpatterns as dashboard_websockets  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402


class CookieAuthNeedsOrigin:
    """Browsers always send ``Origin``; the origin validator checks it. A client that sends
    none is not a browser and cannot be a victim of cross-site WebSocket hijacking, so it
    may connect, but only a ticket can authenticate it: its cookies are ignored."""

    def __init__(self, app):
        self.app = app
        self.validated = AllowedHostsOriginValidator(app)

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        if b"origin" in headers:
            return await self.validated(scope, receive, send)
        scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k != b"cookie"])
        return await self.app(scope, receive, send)


class EmbeddedLifespan:
    """Handles ASGI lifespan: remembers the server's loop and, in embedded mode, starts
    the in-process Celery beat."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                embedded.remember_server_loop(asyncio.get_running_loop())
                if embedded.embedded_enabled():
                    embedded.start_beat()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


application = EmbeddedLifespan(
    ProtocolTypeRouter(
        {
            # Cached dashboard figures for bearer tokens skip Django (issue 7); all else reaches it.
            "http": DashboardFastPath(django_asgi_app),
            "websocket": CookieAuthNeedsOrigin(
                SessionMiddlewareStack(AuthMiddleware(URLRouter(websocket_urlpatterns + dashboard_websockets)))
            ),
        }
    )
)
