from django.urls import path

from dashboard import api

urlpatterns = [
    path("dashboard/participation/", api.ParticipationApi.as_view(), name="dashboard-participation"),
    path("dashboard/trends/", api.TrendsApi.as_view(), name="dashboard-trends"),
    path("dashboard/top/", api.TopApi.as_view(), name="dashboard-top"),
    path("dashboard/registry/", api.RegistryApi.as_view(), name="dashboard-registry"),
    path("dashboard/live/", api.LiveApi.as_view(), name="dashboard-live"),
    path("dashboard/export/", api.ExportApi.as_view(), name="dashboard-export"),
    path("dashboard/report/", api.ReportApi.as_view(), name="dashboard-report"),
]
