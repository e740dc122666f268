-- What the API's role may do in the rewards database. Run as rewards_owner after every
-- `rewards-api db upgrade` (it is idempotent):
--   psql "postgresql://rewards_owner@db/rewards" -v ON_ERROR_STOP=1 -f grants.sql
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO rewards_app, rewards_reports;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rewards_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO rewards_app;
-- The ledger is append-only: its triggers refuse changes, and the app's role is not
-- even allowed to ask. A correction is a new, reversing entry.
REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entries FROM rewards_app;
-- The migrations' bookkeeping is the owner's alone.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM rewards_app;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO rewards_reports;

-- Tables a later migration creates get the same rights without waiting for this file.
ALTER DEFAULT PRIVILEGES FOR ROLE rewards_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO rewards_app;
ALTER DEFAULT PRIVILEGES FOR ROLE rewards_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO rewards_app;
ALTER DEFAULT PRIVILEGES FOR ROLE rewards_owner IN SCHEMA public
    GRANT SELECT ON TABLES TO rewards_reports;
