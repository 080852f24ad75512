#!/bin/sh
# Roles the migrations expect, created once by the postgres image on an empty
# data folder (/docker-entrypoint-initdb.d): the application role the
# services log in as, voxanne_svc, is a member of voxanne_app and has no
# BYPASSRLS, so row-level security applies to it. Its password is
# VOXANNE_DB_PASSWORD, which docker-compose.yml also puts in the services'
# DATABASE_URL (a fixed password here would break any other choice).
set -e
if [ -z "${VOXANNE_DB_PASSWORD:-}" ]; then
    echo "init-roles.sh: set VOXANNE_DB_PASSWORD (the password of voxanne_svc)" >&2
    exit 1
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=app_password="$VOXANNE_DB_PASSWORD" <<'SQL'
CREATE ROLE voxanne_app NOLOGIN NOBYPASSRLS;
CREATE ROLE voxanne_svc LOGIN NOBYPASSRLS PASSWORD :'app_password' IN ROLE voxanne_app;
SQL
