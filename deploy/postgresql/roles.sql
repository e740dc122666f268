-- The rewards database and its three roles. Run once as a superuser, connected to the
-- "postgres" database:   sudo -u postgres psql -v ON_ERROR_STOP=1 -f roles.sql
-- Then give each login role a password (\password rewards_app) or use peer/cert auth.
--   rewards_owner    owns the tables; only `rewards-api db upgrade` connects as it
--   rewards_app      the API hosts and their timers: rows, never the schema, never
--                    UPDATE/DELETE/TRUNCATE on the ledger (grants.sql)
--   rewards_reports  read-only (a replica's REWARDS_REPORTS_DATABASE_URL, analysts)
CREATE ROLE rewards_owner LOGIN;
CREATE ROLE rewards_app LOGIN;
CREATE ROLE rewards_reports LOGIN;
CREATE DATABASE rewards OWNER rewards_owner ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE rewards FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE rewards TO rewards_app;
GRANT CONNECT ON DATABASE rewards TO rewards_reports;
