from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

_MISSING_BUILD = """<!doctype html><meta charset="utf-8"><title>社工+义工平台</title>
<p>前端尚未构建：请运行 <code>make run</code>（或 <code>cd frontend && npm ci && npm run build</code>）。</p>
<p><a href="/api/docs/">API 文档</a></p>"""


@never_cache
@ensure_csrf_cookie
def frontend(request: HttpRequest) -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(_MISSING_BUILD, status=503)
    return HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "embedded": settings.EMBEDDED})
