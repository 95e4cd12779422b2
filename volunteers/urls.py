from django.urls import include, path

from volunteers import api

urlpatterns = [
    path("service-records/", api.ServiceRecordListApi.as_view(), name="service-records"),
    path("service-records/back-entries/", api.BackEntryApi.as_view(), name="record-back-entry"),
    path("service-records/export/", api.ServiceRecordExportApi.as_view(), name="record-export"),
    path("service-records/<int:pk>/", api.ServiceRecordDetailApi.as_view(), name="record-detail"),
    path("service-records/<int:pk>/evidence/", api.ServiceRecordEvidenceApi.as_view(), name="record-evidence"),
    path("service-records/<int:pk>/approve/", api.ServiceRecordApproveApi.as_view(), name="record-approve"),
    path("service-records/<int:pk>/reject/", api.ServiceRecordRejectApi.as_view(), name="record-reject"),
    path("service-records/<int:pk>/amend/", api.ServiceRecordAmendApi.as_view(), name="record-amend"),
    path("service-records/<int:pk>/disputes/", api.RecordDisputeCreateApi.as_view(), name="record-dispute"),
    path("disputes/", api.DisputeListApi.as_view(), name="disputes"),
    path("disputes/<int:pk>/answer/", api.DisputeAnswerApi.as_view(), name="dispute-answer"),
    path("volunteers/me/summary/", api.VolunteerSummaryApi.as_view(), name="volunteer-summary"),
    path("volunteers/me/record/", api.VolunteerRecordApi.as_view(), name="volunteer-record"),
    path("volunteers/me/profile/", api.VolunteerProfileApi.as_view(), name="volunteer-profile"),
    path("me/guardian-consent/", api.GuardianConsentApi.as_view(), name="guardian-consent"),
    path("training-records/", api.TrainingListApi.as_view(), name="training-records"),
    path("awards/", api.AwardListApi.as_view(), name="awards"),
    path("organization-metrics/", api.OrganizationMetricListApi.as_view(), name="organization-metrics"),
    path("certificates/", api.CertificateListApi.as_view(), name="certificates"),
    path("certificates/<int:pk>/pdf/", api.CertificatePdfApi.as_view(), name="certificate-pdf"),
    path("certificates/<int:pk>/revoke/", api.CertificateRevokeApi.as_view(), name="certificate-revoke"),
    path("certificates/verify/<str:code>/", api.CertificateVerifyApi.as_view(), name="certificate-verify"),
    path("", include("volunteers.teams.urls")),
]
