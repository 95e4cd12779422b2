from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.serializers import (
    LoginResponseSerializer,
    LoginSerializer,
    MeSerializer,
    PhoneSerializer,
    RealNameInputSerializer,
    RealNameSerializer,
    RegionSerializer,
    RegisteredUserSerializer,
    RegisterSerializer,
    TicketSerializer,
)


class SmsCodeApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sms"

    @extend_schema(request=PhoneSerializer, responses={202: None}, summary="发送短信验证码")
    def post(self, request):
        data = PhoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.sms_code_send(phone=data.validated_data["phone"])
        return Response({"detail": "验证码已发送"}, status=status.HTTP_202_ACCEPTED)


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredUserSerializer},
                   summary="手机号注册")
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    # No session authentication here: logging in must not require a CSRF token.
    authentication_classes: list = []

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer},
                   summary="登录（返回令牌并建立会话）")
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, token = services.user_login(request=request._request, **data.validated_data)
        return Response({"token": token, "user": MeSerializer(user).data})


class LogoutApi(APIView):
    @extend_schema(request=None, responses={204: None}, summary="退出登录")
    def post(self, request):
        services.user_logout(request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses=MeSerializer, summary="当前用户")
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class RealNameApi(APIView):
    """实名认证: the owner reads (in full) and submits their own; nobody else's is reachable."""

    @extend_schema(responses=RealNameSerializer, summary="我的实名信息（仅本人可见完整证件号）")
    def get(self, request):
        return Response(RealNameSerializer(selectors.real_name_for_owner(user=request.user)).data)

    @extend_schema(request=RealNameInputSerializer, responses={201: RealNameSerializer},
                   summary="实名认证（居民身份证）")
    def post(self, request):
        data = RealNameInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.real_name_verify(user=request.user, **data.validated_data)
        return Response(RealNameSerializer(selectors.real_name_for_owner(user=request.user)).data,
                        status=status.HTTP_201_CREATED)


class WsTicketApi(APIView):
    @extend_schema(request=None, responses={201: TicketSerializer},
                   summary="WebSocket 一次性票据（60 秒内有效）")
    def post(self, request):
        ticket = services.ws_ticket_create(user=request.user)
        return Response({"ticket": ticket}, status=status.HTTP_201_CREATED)


class RegionListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = RegionSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("parent", str, description="上级区划代码")],
                   summary="行政区划")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.region_list(parent=self.request.query_params.get("parent"))
