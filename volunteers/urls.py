from django.urls import path

from volunteers import api

urlpatterns = [
    path("service-records/", api.ServiceRecordListApi.as_view(), name="service-records"),
    path("service-records/<int:pk>/approve/", api.ServiceRecordApproveApi.as_view(), name="record-approve"),
    path("service-records/<int:pk>/reject/", api.ServiceRecordRejectApi.as_view(), name="record-reject"),
    path("service-records/<int:pk>/amend/", api.ServiceRecordAmendApi.as_view(), name="record-amend"),
    path("volunteers/me/summary/", api.VolunteerSummaryApi.as_view(), name="volunteer-summary"),
]
