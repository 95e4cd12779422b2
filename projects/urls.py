from django.urls import path

from projects import api

urlpatterns = [
    path("projects/", api.ProjectListApi.as_view(), name="projects"),
    path("projects/recommended/", api.ProjectRecommendedApi.as_view(), name="projects-recommended"),
    path("projects/<int:pk>/", api.ProjectDetailApi.as_view(), name="project"),
    path("projects/<int:pk>/publish/", api.ProjectPublishApi.as_view(), name="project-publish"),
    path("projects/<int:pk>/submit/", api.ProjectSubmitApi.as_view(), name="project-submit"),
    path("projects/<int:pk>/reject/", api.ProjectRejectApi.as_view(), name="project-reject"),
    path("projects/<int:pk>/close/", api.ProjectCloseApi.as_view(), name="project-close"),
    path("projects/<int:pk>/cancel/", api.ProjectCancelApi.as_view(), name="project-cancel"),
    path("projects/<int:pk>/shifts/", api.ProjectShiftsApi.as_view(), name="project-shifts"),
    path("projects/<int:pk>/shift-rules/", api.ProjectShiftRulesApi.as_view(), name="project-shift-rules"),
    path("shifts/<int:pk>/", api.ShiftDetailApi.as_view(), name="shift"),
    path("shifts/<int:pk>/signups/", api.ShiftSignupApi.as_view(), name="shift-signups"),
    path("shifts/<int:pk>/roster/", api.ShiftRosterApi.as_view(), name="shift-roster"),
    path("shifts/<int:pk>/checkin-code/", api.ShiftCheckinCodeApi.as_view(), name="shift-checkin-code"),
    path("signups/", api.SignupListApi.as_view(), name="signups"),
    path("signups/<int:pk>/cancel/", api.SignupCancelApi.as_view(), name="signup-cancel"),
    path("signups/<int:pk>/accept/", api.SignupAcceptApi.as_view(), name="signup-accept"),
    path("signups/<int:pk>/decline/", api.SignupDeclineApi.as_view(), name="signup-decline"),
    path("calendar/", api.CalendarFeedApi.as_view(), name="calendar-feed"),
    path("calendar/reset/", api.CalendarFeedResetApi.as_view(), name="calendar-feed-reset"),
    path("calendar/<str:token>.ics", api.CalendarIcsApi.as_view(), name="calendar-ics"),
    path("attendance/check-in/", api.CheckInApi.as_view(), name="check-in"),
    path("attendance/check-out/", api.CheckOutApi.as_view(), name="check-out"),
]
