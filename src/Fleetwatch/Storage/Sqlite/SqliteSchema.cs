namespace Fleetwatch.Storage.Sqlite;

/// <summary>
/// Versioned migrations, applied in order at start. Never edit a shipped step: add one.
/// Times are INTEGER microseconds since the Unix epoch (UTC).
/// </summary>
internal static class SqliteSchema
{
    public static readonly string[] Migrations =
    [
        // 1: tenancy, keys, devices and the one event store.
        """
        CREATE TABLE orgs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL);
        CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES orgs(id),
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (org_id, name));
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            prefix TEXT NOT NULL UNIQUE,
            secret_hash BLOB NOT NULL,
            project_id INTEGER REFERENCES projects(id),
            role INTEGER NOT NULL,
            name TEXT,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER);
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id),
            external_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (project_id, external_id));
        CREATE TABLE metrics (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE);
        -- Clustered on what every read asks for (one device, one kind, a time range), so the table is
        -- its own index: no second copy of each row, and a device's history is contiguous on disk.
        CREATE TABLE events (
            device_id INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            id INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (device_id, kind, ts, id)) WITHOUT ROWID;
        CREATE TABLE latest_status (
            device_id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            payload BLOB NOT NULL);
        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL);
        INSERT INTO settings (name, value) VALUES ('next_event_id', 1);
        """,
        // 2: the platform API's device name and tags (a JSON array of strings, sorted).
        """
        ALTER TABLE devices ADD COLUMN name TEXT;
        ALTER TABLE devices ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
        """,
        // 3: the telemetry backend's per-device keys, deactivated devices and last-seen times.
        """
        ALTER TABLE api_keys ADD COLUMN device_id INTEGER;
        ALTER TABLE devices ADD COLUMN deactivated_at INTEGER;
        ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
        """,
        // 4: hourly rollups of sealed hours (see HourlyRollup): one row per device-hour, one per device-hour-metric,
        // and a per-device epoch that a late write bumps, so a rollup computed before it is never cached.
        """
        CREATE TABLE rollup_hours (
            device_id INTEGER NOT NULL,
            hour INTEGER NOT NULL,
            readings INTEGER NOT NULL,
            first_ts INTEGER,
            last_ts INTEGER,
            PRIMARY KEY (device_id, hour)) WITHOUT ROWID;
        CREATE TABLE rollup_hour_metrics (
            device_id INTEGER NOT NULL,
            hour INTEGER NOT NULL,
            metric_id INTEGER NOT NULL,
            count INTEGER NOT NULL,
            sum REAL NOT NULL,
            min REAL NOT NULL,
            max REAL NOT NULL,
            first_ts INTEGER NOT NULL,
            last_ts INTEGER NOT NULL,
            last_id INTEGER NOT NULL,
            last_value REAL NOT NULL,
            PRIMARY KEY (device_id, hour, metric_id)) WITHOUT ROWID;
        CREATE TABLE rollup_epochs (
            device_id INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL);
        """,
        // 5: the latest status is found from the events at start (one index seek per device), not written per batch.
        "DROP TABLE latest_status;",
        // 6: rules and alerts. The same DDL on both engines (integer flags, REAL/double thresholds); one alert per
        // firing is the unique (rule, device, trigger event).
        """
        CREATE TABLE rules (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            metric TEXT NOT NULL,
            operator TEXT NOT NULL,
            threshold REAL NOT NULL,
            window_n INTEGER NOT NULL,
            required_k INTEGER NOT NULL,
            cooldown_seconds INTEGER NOT NULL,
            enabled INTEGER NOT NULL,
            scope TEXT NOT NULL,
            tag TEXT,
            severity TEXT NOT NULL,
            auto_resolve INTEGER NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE INDEX rules_project ON rules (project_id);
        CREATE TABLE rule_devices (
            rule_id INTEGER NOT NULL,
            device_id INTEGER NOT NULL,
            PRIMARY KEY (rule_id, device_id));
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL,
            rule_id INTEGER NOT NULL,
            device_id INTEGER NOT NULL,
            trigger_event_id INTEGER NOT NULL,
            triggered_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            severity TEXT NOT NULL,
            details TEXT NOT NULL,
            acknowledged_at INTEGER,
            resolved_at INTEGER,
            UNIQUE (rule_id, device_id, trigger_event_id));
        CREATE INDEX alerts_project ON alerts (project_id, id);
        CREATE INDEX alerts_device ON alerts (device_id, id);
        CREATE INDEX alerts_rule_device ON alerts (rule_id, device_id, triggered_at);
        """,
        // 7: webhooks, their delivery outbox (one row per webhook and alert, claimed by any node) and circuit breakers per URL.
        """
        CREATE TABLE webhooks (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL,
            url TEXT NOT NULL,
            secret TEXT,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE INDEX webhooks_project ON webhooks (project_id);
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL,
            webhook_id INTEGER NOT NULL,
            alert_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            claimed_until INTEGER,
            last_status_code INTEGER,
            last_error TEXT,
            last_latency_ms INTEGER,
            created_at INTEGER NOT NULL,
            delivered_at INTEGER,
            UNIQUE (webhook_id, alert_id));
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
        CREATE INDEX webhook_deliveries_project ON webhook_deliveries (project_id, id);
        CREATE TABLE webhook_circuits (
            url TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            failures INTEGER NOT NULL,
            window_started_at INTEGER,
            opened_at INTEGER);
        """,
        // 8: the delivery log: one row per attempt.
        """
        CREATE TABLE webhook_attempts (
            delivery_id INTEGER NOT NULL,
            attempted_at INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            status_code INTEGER,
            latency_ms INTEGER,
            error TEXT);
        CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
        """,
        // 9: connectivity: an inactivity timeout per project and per device (null: the server's default), and inactivity
        // rules. Each device's latest transition (kind 5) is one seek on the events' (device, kind, ts) key.
        """
        ALTER TABLE projects ADD COLUMN inactivity_timeout_seconds INTEGER;
        ALTER TABLE devices ADD COLUMN inactivity_timeout_seconds INTEGER;
        ALTER TABLE rules ADD COLUMN type TEXT NOT NULL DEFAULT 'threshold';
        ALTER TABLE rules ADD COLUMN inactive_seconds INTEGER;
        """,
        // 10: retention per project, in days: raw events, then hourly rollups (null: the server's default).
        """
        ALTER TABLE projects ADD COLUMN raw_retention_days INTEGER;
        ALTER TABLE projects ADD COLUMN rollup_retention_days INTEGER;
        """,
    ];
}
