FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN DJANGO_ENV=production SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64 | tr -d '\n') \
    python manage.py collectstatic --no-input

RUN useradd --create-home ranklab && mkdir -p /app/var/media && chown -R ranklab /app/var
USER ranklab
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
