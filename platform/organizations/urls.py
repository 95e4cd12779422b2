from django.urls import path

from organizations.api import filing, registry, venues

urlpatterns = [
    path("organizations/", registry.OrganizationListApi.as_view(), name="organizations"),
    path("organizations/export/", registry.OrganizationExportApi.as_view(), name="organization-export"),
    path("organizations/import/", registry.OrganizationImportApi.as_view(), name="organization-import"),
    path("organizations/stats/", registry.OrganizationStatsApi.as_view(), name="organization-stats"),
    path("organizations/<int:pk>/", registry.OrganizationDetailApi.as_view(), name="organization"),
    path("organizations/<int:pk>/tier/", registry.OrganizationTierApi.as_view(), name="organization-tier"),
    path("organizations/<int:pk>/status/", registry.OrganizationStatusApi.as_view(), name="organization-status"),
    path("organizations/<int:pk>/inspections/", registry.OrganizationInspectionApi.as_view(),
         name="organization-inspections"),
    path("organizations/<int:pk>/history/", registry.OrganizationHistoryApi.as_view(),
         name="organization-history"),
    path("organizations/charter-template/", filing.CharterTemplateApi.as_view(), name="charter-template"),
    path("organizations/<int:pk>/charters/", filing.CharterListApi.as_view(), name="organization-charters"),
    path("organizations/<int:pk>/party-building/", filing.PartyBuildingApi.as_view(),
         name="organization-party-building"),
    path("organizations/brands/", venues.BrandListApi.as_view(), name="organization-brands"),
    path("organizations/<int:pk>/brand/", venues.BrandApi.as_view(), name="organization-brand"),
    path("venues/", venues.VenueListApi.as_view(), name="venues"),
    path("venues/<int:pk>/rooms/", venues.RoomCreateApi.as_view(), name="venue-rooms"),
    path("rooms/<int:pk>/bookings/", venues.RoomBookingApi.as_view(), name="room-bookings"),
    path("bookings/<int:pk>/cancel/", venues.BookingCancelApi.as_view(), name="booking-cancel"),
    path("filings/", filing.FilingListApi.as_view(), name="filings"),
    path("filings/<int:pk>/", filing.FilingDetailApi.as_view(), name="filing"),
    path("filings/<int:pk>/community-review/", filing.FilingCommunityReviewApi.as_view(),
         name="filing-community-review"),
    path("filings/<int:pk>/street-decision/", filing.FilingStreetDecisionApi.as_view(),
         name="filing-street-decision"),
    path("filings/<int:pk>/resubmit/", filing.FilingResubmitApi.as_view(), name="filing-resubmit"),
]
