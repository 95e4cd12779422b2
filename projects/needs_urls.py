"""Routes of resident needs and feedback (included by ``config.urls`` next to
``projects.urls``, so the two route lists can change independently)."""

from django.urls import path

from projects import feedback_api, needs_api

urlpatterns = [
    path("needs/", needs_api.NeedListApi.as_view(), name="needs"),
    path("needs/stats/", needs_api.NeedStatsApi.as_view(), name="needs-stats"),
    path("needs/<int:pk>/", needs_api.NeedDetailApi.as_view(), name="need"),
    path("needs/<int:pk>/photos/<int:photo_id>/", needs_api.NeedPhotoApi.as_view(), name="need-photo"),
    path("needs/<int:pk>/accept/", needs_api.NeedAcceptApi.as_view(), name="need-accept"),
    path("needs/<int:pk>/reject/", needs_api.NeedRejectApi.as_view(), name="need-reject"),
    path("needs/<int:pk>/link-project/", needs_api.NeedLinkProjectApi.as_view(), name="need-link-project"),
    path("needs/<int:pk>/create-project/", needs_api.NeedCreateProjectApi.as_view(), name="need-create-project"),
    path("needs/<int:pk>/serve/", needs_api.NeedServeApi.as_view(), name="need-serve"),
    path("needs/<int:pk>/close/", needs_api.NeedCloseApi.as_view(), name="need-close"),
    path("activity-feedback/", feedback_api.ActivityFeedbackMineApi.as_view(), name="activity-feedback-mine"),
    path("feedback/shifts/", feedback_api.FeedbackShiftListApi.as_view(), name="feedback-shifts"),
    path("shifts/<int:pk>/activity-feedback/", feedback_api.ShiftActivityFeedbackApi.as_view(),
         name="shift-activity-feedback"),
    path("shifts/<int:pk>/service-feedback/", feedback_api.ShiftServiceFeedbackApi.as_view(),
         name="shift-service-feedback"),
    path("shifts/<int:pk>/ratings/", feedback_api.ShiftRatingsApi.as_view(), name="shift-ratings"),
    path("service-records/<int:pk>/quality-rating/", feedback_api.ServiceRecordQualityRatingApi.as_view(),
         name="record-quality-rating"),
]
