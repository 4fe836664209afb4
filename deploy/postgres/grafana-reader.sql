-- Grafana's read-only role on the audit store (docker-compose.yml service db-grants, after
-- `cordwatch db upgrade`). It may read the columns the clinical dashboard aggregates, by
-- facility and month, and nothing that names or describes a patient: no patient_id, no alert
-- text, no staff names, no report evidence. Idempotent: safe to run after every upgrade.
-- Needs psql 15+ (\getenv) and GRAFANA_DB_PASSWORD in the environment.
\set ON_ERROR_STOP on
\set reader_password ''
\getenv reader_password GRAFANA_DB_PASSWORD
SELECT length(:'reader_password') < 16 AS reader_password_weak \gset
\if :reader_password_weak
  DO $$ BEGIN RAISE EXCEPTION 'GRAFANA_DB_PASSWORD must be set (16+ characters)'; END $$;
\endif

SELECT 'CREATE ROLE grafana_reader'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') \gexec
ALTER ROLE grafana_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';

SELECT format('GRANT USAGE ON SCHEMA %I TO grafana_reader', current_schema()) \gexec
REVOKE ALL ON episodes, timers, alerts FROM grafana_reader;
GRANT SELECT (episode_id, facility, status, suspected_at, closed_at, priority, high_grade)
  ON episodes TO grafana_reader;
GRANT SELECT (timer_id, episode_id, facility, kind, started_at, due_at, status, met_at,
              breached_at, breach_retracted)
  ON timers TO grafana_reader;
GRANT SELECT (alert_id, alert_type, priority, episode_id, facility, timer, at, detected_late,
              delivery_status, delivery_attempts, delivered_at, delivery_channel, acknowledged_at)
  ON alerts TO grafana_reader;
