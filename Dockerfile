# Production image of the web, worker and beat processes (see docker-compose.yml).
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/app/platform:/app \
    DJANGO_SETTINGS_MODULE=config.settings VAR_DIR=/app/var
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY manage.py pyproject.toml ./
COPY platform/ platform/
COPY projects/ projects/
COPY volunteers/ volunteers/
COPY data/ data/
COPY --from=frontend /src/frontend/dist/ frontend/dist/
RUN useradd --system --home /app platform && mkdir -p var && chown platform var
USER platform
EXPOSE 8000
CMD ["python", "-m", "uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--lifespan", "on", "--no-access-log", "--proxy-headers"]
