from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import DomainError
from config.pagination import PageNumberPagination
from notifications import selectors, services
from notifications.serializers import MarkReadSerializer, NotificationSerializer


class NotificationListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("after", int, description="只返回此 id 之后的通知（升序）")],
                   responses=NotificationSerializer(many=True), summary="我的通知")
    def get(self, request):
        after = request.query_params.get("after")
        if after is not None:
            try:
                after = int(after)
            except ValueError:
                raise DomainError("invalid", "after 必须是整数", fields={"after": ["必须是整数"]}) from None
        qs = selectors.notification_list(user=request.user, after=after)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        response = paginator.get_paginated_response(NotificationSerializer(page, many=True).data)
        response.data["unread"] = selectors.unread_count(user=request.user)
        return response


class NotificationMarkReadApi(APIView):
    @extend_schema(request=MarkReadSerializer,
                   responses=inline_serializer("MarkReadResult", {"updated": serializers.IntegerField()}),
                   summary="标记已读")
    def post(self, request):
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.notifications_mark_read(user=request.user, ids=data.validated_data["ids"])
        return Response({"updated": updated})
