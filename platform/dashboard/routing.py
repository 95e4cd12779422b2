from django.urls import path

from dashboard.consumers import LiveCounterConsumer

websocket_urlpatterns = [
    path("ws/dashboard/live/", LiveCounterConsumer.as_asgi()),
]
