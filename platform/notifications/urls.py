from django.urls import path

from notifications import api

urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="notifications"),
    path("notifications/mark-read/", api.NotificationMarkReadApi.as_view(), name="notifications-mark-read"),
]
