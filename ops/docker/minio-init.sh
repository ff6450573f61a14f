#!/bin/sh
# Creates the exports bucket on the compose stack's MinIO, then exits 0. Idempotent: safe on
# every `docker compose up`. Run by the `minio-init` service (image minio/mc), which starts only
# once `minio` is healthy; a few retries cover the moment right after it turns healthy.
# Env: MINIO_ENDPOINT, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, S3_BUCKET.
set -eu

: "${MINIO_ENDPOINT:=http://minio:9000}"
: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is required}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is required}"
: "${S3_BUCKET:?S3_BUCKET is required}"

tries=0
until mc alias set vectort "$MINIO_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 10 ]; then
    echo "minio-init: cannot reach MinIO at $MINIO_ENDPOINT" >&2
    exit 1
  fi
  sleep 2
done

mc mb --ignore-existing "vectort/$S3_BUCKET"
echo "minio-init: bucket $S3_BUCKET is ready"
