from django.urls import path

from organizations import api

urlpatterns = [
    path("organizations/", api.OrganizationListApi.as_view(), name="organizations"),
    path("organizations/stats/", api.OrganizationStatsApi.as_view(), name="organization-stats"),
    path("organizations/<int:pk>/", api.OrganizationDetailApi.as_view(), name="organization"),
]
