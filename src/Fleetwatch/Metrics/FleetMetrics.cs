using System.Globalization;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Status;
using Fleetwatch.Streams;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Fleetwatch.Metrics;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (one per server, so several servers in one
/// process never mix figures). Counters move after each commit; fleet gauges are computed from the in-memory
/// latest statuses when scraped, with the same at-risk rule as <c>/status/at-risk</c> and the summary.
/// </summary>
public sealed class FleetMetrics : ICommitObserver
{
    private readonly IServiceProvider _services;
    private readonly Counter _heartbeats, _events, _batches, _failedCommits, _rejected, _rollupsBuilt, _mqttMessages;
    private readonly Gauge _online, _offline, _atRisk, _averageBattery, _devices, _active, _inactive, _tracked, _queueDepth, _subscribers, _openAlerts, _deliveries, _rollupBacklog, _mqttConnections;
    private readonly Histogram _commitSeconds;

    public FleetMetrics(IServiceProvider services)
    {
        _services = services;
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // As in the device-status service, a status is its device's heartbeat too (CONTRACTS.md §1).
        _heartbeats = factory.CreateCounter("heartbeat_count_total", "Heartbeats and statuses committed, per project.", "project");
        _events = factory.CreateCounter("fleetwatch_ingest_events_total", "Events committed, by kind.", "kind");
        _batches = factory.CreateCounter("fleetwatch_ingest_batches_total", "Transactions the writer committed (each holds many requests).");
        _failedCommits = factory.CreateCounter("fleetwatch_ingest_failed_commits_total", "Transactions the database refused; their requests got 503.");
        _rejected = factory.CreateCounter("fleetwatch_ingest_rejected_total", "Ingest requests refused, by reason.", "reason");
        _commitSeconds = factory.CreateHistogram("fleetwatch_ingest_commit_duration_seconds", "Time to write and sync one transaction.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _online = factory.CreateGauge("online_devices", "Devices whose latest status says online, per project.", "project");
        _offline = factory.CreateGauge("offline_devices", "Devices whose latest status says offline, per project.", "project");
        _atRisk = factory.CreateGauge("at_risk_devices", "Devices at risk (low battery, optionally weak signal, or silent), per project.", "project");
        _averageBattery = factory.CreateGauge("average_battery", "Mean battery level of the latest statuses, per project.", "project");
        _devices = factory.CreateGauge("fleetwatch_devices", "Devices registered, per project (with a status or not).", "project");
        _active = factory.CreateGauge("fleetwatch_devices_active", "Devices the server received anything from within their inactivity timeout, per project.", "project");
        _inactive = factory.CreateGauge("fleetwatch_devices_inactive", "Registered devices not active (silent past their timeout, or never heard from), per project.", "project");
        _tracked = factory.CreateGauge("fleetwatch_connectivity_tracked_devices", "Devices whose connectivity this node tracks.");
        _queueDepth = factory.CreateGauge("fleetwatch_ingest_queue_depth", "Requests waiting for the writer.");
        _subscribers = factory.CreateGauge("fleetwatch_stream_subscribers", "Live stream subscribers (WebSocket and SSE).");
        _openAlerts = factory.CreateGauge("fleetwatch_open_alerts", "Alerts still open, per project.", "project");
        // A gauge of counts kept by the dispatcher (it has no registry of its own); only ever grows, like a counter.
        _deliveries = factory.CreateGauge("fleetwatch_webhook_deliveries", "Webhook delivery attempts by this node since start, by outcome.", "outcome");
        // No unit in these names: a device-hour is a count of rollups, not a duration (promtool's lint reads "_hours" as one).
        _rollupBacklog = factory.CreateGauge("fleetwatch_rollup_backlog", "Device-hours this node wrote readings into, sealed and not rolled up yet: the background roll-up backlog.");
        _rollupsBuilt = factory.CreateCounter("fleetwatch_rollups_built_total", "Device-hour rollups this node built in the background since start.");
        _mqttMessages = factory.CreateCounter("fleetwatch_mqtt_messages_total",
            "MQTT messages received, by result: stored (committed), invalid, unauthorized, unknown_topic, too_large, rate_limited, in_flight, failed (not committed).", "result");
        _mqttConnections = factory.CreateGauge("fleetwatch_mqtt_connections", "MQTT connections open on this node.");
        Registry.AddBeforeCollectCallback(UpdateGauges);
        // Counted in the database, so asked asynchronously: a scrape never blocks a thread on it.
        Registry.AddBeforeCollectCallback(UpdateOpenAlertsAsync);
    }

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>Counted before the batch's requests are answered: a client that got its 2xx finds its write counted.</summary>
    public bool BeforeAcknowledgement => true;

    /// <summary>Runs on the observers' loop: counts per kind and project first, then touches each labelled counter once.</summary>
    public void OnCommitted(CommittedBatch batch)
    {
        Span<int> perKind = stackalloc int[8];
        Dictionary<long, int>? heartbeats = null;
        for (var i = 0; i < batch.Events.Length; i++)
        {
            var kind = batch.Events[i].Kind;
            perKind[(int)kind]++;
            if (kind is not (EventKind.Heartbeat or EventKind.Status)) continue;
            heartbeats ??= [];
            heartbeats[batch.Drafts[i].ProjectId] = heartbeats.GetValueOrDefault(batch.Drafts[i].ProjectId) + 1;
        }
        foreach (var kind in Enum.GetValues<EventKind>())
        {
            if (perKind[(int)kind] > 0) _events.WithLabels(Telemetry.EventJson.KindName(kind)).Inc(perKind[(int)kind]);
        }
        if (heartbeats is null) return;
        foreach (var (project, count) in heartbeats) _heartbeats.WithLabels(Project(project)).Inc(count);
    }

    public void ObserveCommit(double seconds, int events, bool succeeded)
    {
        if (succeeded) _batches.Inc();
        else _failedCommits.Inc();
        _commitSeconds.Observe(seconds);
    }

    public void Reject(string reason) => _rejected.WithLabels(reason).Inc();

    public void MqttMessage(string result, int count = 1) => _mqttMessages.WithLabels(result).Inc(count);

    public void MqttConnected(bool connected) => _mqttConnections.Inc(connected ? 1 : -1);

    private void UpdateGauges()
    {
        var latest = _services.GetRequiredService<LatestStatusCache>();
        var options = _services.GetRequiredService<IOptions<StatusOptions>>().Value;
        var registered = _services.GetRequiredService<DeviceRegistry>().CountPerProject();
        // The seed's four metrics are there from start-up for the default project, before any traffic.
        registered.TryAdd(_services.GetRequiredService<Tenancy>().DefaultProjectId, 0);
        foreach (var projectId in latest.Projects) registered.TryAdd(projectId, 0);
        var now = Clock.NowMicros();
        var tracker = _services.GetRequiredService<Connectivity.ConnectivityTracker>();
        var connectivity = tracker.CountPerProject();
        _tracked.Set(tracker.Count);
        foreach (var (projectId, deviceCount) in registered)
        {
            var statuses = latest.Snapshot(projectId);
            var project = Project(projectId);
            int online = 0, atRisk = 0;
            long battery = 0;
            foreach (var s in statuses)
            {
                if (s.Online) online++;
                if (options.IsAtRisk(s, now)) atRisk++;
                battery += s.BatteryLevel;
            }
            _devices.WithLabels(project).Set(deviceCount);
            var (active, inactive) = connectivity.GetValueOrDefault(projectId);
            _active.WithLabels(project).Set(active);
            _inactive.WithLabels(project).Set(inactive);
            _online.WithLabels(project).Set(online);
            _offline.WithLabels(project).Set(statuses.Count - online);
            _atRisk.WithLabels(project).Set(atRisk);
            _averageBattery.WithLabels(project).Set(statuses.Count == 0 ? 0 : (double)battery / statuses.Count);
            _heartbeats.WithLabels(project);
        }
        _queueDepth.Set(_services.GetRequiredService<IngestWriter>().QueueDepth);
        foreach (var (outcome, count) in _services.GetRequiredService<Webhooks.WebhookDispatcher>().Outcomes) _deliveries.WithLabels(outcome).Set(count);
        _subscribers.Set(_services.GetRequiredService<StreamHub>().Count);
        var rollups = _services.GetRequiredService<Telemetry.RollupMaintainer>();
        _rollupBacklog.Set(rollups.PendingHours);
        _rollupsBuilt.IncTo(rollups.HoursBuilt);
    }

    private async Task UpdateOpenAlertsAsync(CancellationToken ct)
    {
        try
        {
            var open = await _services.GetRequiredService<Rules.IRuleStore>().CountOpenAlertsAsync(ct);
            foreach (var (projectId, count) in open) _openAlerts.WithLabels(Project(projectId)).Set(count);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException)
        {
            // A scrape during a database outage still reports everything else.
        }
    }

    private static string Project(long projectId) => projectId.ToString(CultureInfo.InvariantCulture);
}
