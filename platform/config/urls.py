from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views
from volunteers.api import certificate_verify_page

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("organizations.urls")),
    path("", include("projects.urls")),
    path("", include("projects.needs_urls")),
    path("", include("volunteers.urls")),
    path("", include("notifications.urls")),
    path("", include("evaluation.urls")),
    path("", include("dashboard.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("healthz/", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The public page behind a certificate's QR code (志愿服务记录证明核验).
    path("certificates/verify/<str:code>/", certificate_verify_page, name="certificate-verify-page"),
    # Everything else is a page of the single-page app.
    re_path(r"^(?!api/|static/|media/|ws/|admin/).*$", views.frontend, name="frontend"),
]

handler404 = "config.exceptions.json_not_found"
handler500 = "config.exceptions.json_server_error"
