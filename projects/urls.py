from django.urls import path

from projects import api

urlpatterns = [
    path("projects/", api.ProjectListApi.as_view(), name="projects"),
    path("projects/recommended/", api.ProjectRecommendedApi.as_view(), name="projects-recommended"),
    path("projects/<int:pk>/", api.ProjectDetailApi.as_view(), name="project"),
    path("projects/<int:pk>/publish/", api.ProjectPublishApi.as_view(), name="project-publish"),
    path("projects/<int:pk>/shifts/", api.ProjectShiftsApi.as_view(), name="project-shifts"),
    path("shifts/<int:pk>/signups/", api.ShiftSignupApi.as_view(), name="shift-signups"),
    path("shifts/<int:pk>/roster/", api.ShiftRosterApi.as_view(), name="shift-roster"),
    path("shifts/<int:pk>/checkin-code/", api.ShiftCheckinCodeApi.as_view(), name="shift-checkin-code"),
    path("signups/", api.SignupListApi.as_view(), name="signups"),
    path("signups/<int:pk>/cancel/", api.SignupCancelApi.as_view(), name="signup-cancel"),
    path("attendance/check-in/", api.CheckInApi.as_view(), name="check-in"),
    path("attendance/check-out/", api.CheckOutApi.as_view(), name="check-out"),
]
