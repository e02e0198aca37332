-- The role the web app and the sensor ingest connect as: subject to the row-level security
-- policies (migration 0016), with a password, since the image authenticates TCP connections.
-- The migration grants it what it needs. Change the password with compose.yaml's.
CREATE ROLE dimos_app LOGIN PASSWORD 'dimos_app' NOSUPERUSER NOBYPASSRLS;
