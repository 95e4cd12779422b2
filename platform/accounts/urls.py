from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/sms-code/", api.SmsCodeApi.as_view(), name="auth-sms-code"),
    path("auth/register/", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/login/", api.LoginApi.as_view(), name="auth-login"),
    path("auth/logout/", api.LogoutApi.as_view(), name="auth-logout"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("me/real-name/", api.RealNameApi.as_view(), name="me-real-name"),
    path("ws-ticket/", api.WsTicketApi.as_view(), name="ws-ticket"),
    path("regions/", api.RegionListApi.as_view(), name="regions"),
]
