-- Roles the migrations expect: the application role the services log in as is
-- a member of voxanne_app and has no BYPASSRLS, so row-level security applies.
CREATE ROLE voxanne_app NOLOGIN NOBYPASSRLS;
CREATE ROLE voxanne_svc LOGIN NOBYPASSRLS PASSWORD 'voxanne' IN ROLE voxanne_app;
