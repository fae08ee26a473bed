-- docs/deploy/grants.sql: the service's role may read and write rows, never change tables, and
-- only read and append the access log (SECURITY.md, "Least privilege on PostgreSQL").
-- Run after every `migrate`, as the postgres superuser: sudo -u postgres psql -d marac -f grants.sql
-- It can be run any number of times.
GRANT CONNECT ON DATABASE marac TO marac_app;
GRANT USAGE ON SCHEMA public TO marac_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO marac_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO marac_app;
-- Tables that later migrations create get the same rights.
ALTER DEFAULT PRIVILEGES FOR ROLE marac_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO marac_app;
ALTER DEFAULT PRIVILEGES FOR ROLE marac_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO marac_app;
-- The access log: read and append only (its triggers refuse changes too; this is the second lock).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_accessevent FROM marac_app;
