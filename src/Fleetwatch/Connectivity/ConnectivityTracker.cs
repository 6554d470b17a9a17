using System.Collections.Concurrent;
using System.Globalization;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Rules;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Connectivity;

/// <summary>
/// A device's connectivity as the server sees it: active while it received anything from the device within its timeout.
/// <paramref name="SinceMicros"/> is when the current state began (null for a device never heard from);
/// <paramref name="LastSeenMicros"/> is the server's receive time of its latest event; <paramref name="DeviceTimeMicros"/>
/// the device's own latest timestamp.
/// </summary>
public sealed record ConnectivityView(bool Active, long? SinceMicros, long? LastSeenMicros, long? DeviceTimeMicros, int TimeoutSeconds)
{
    public string State => Active ? ConnectivityTracker.ActiveState : ConnectivityTracker.InactiveState;
}

/// <summary>
/// Connectivity, tracked from every committed event (any API, any node) and recorded as events of kind
/// <c>connectivity</c> when it changes. Deadlines sit in a priority queue, one live entry per device, so finding the
/// devices that went silent never scans them all; a loop looks at the expired ones every
/// <see cref="ConnectivityOptions.CheckIntervalMs"/>. Every node tracks; one node (<see cref="ILeadership"/>) records
/// transitions and raises inactivity alerts, through the same writer, alert lifecycle and webhooks as everything else.
/// </summary>
public sealed partial class ConnectivityTracker : BackgroundService, ICommitObserver
{
    public const string ChangeTopic = "connectivity";
    public const string StateField = "state", SinceField = "since", ReasonField = "reason";
    public const string ActiveState = "active", InactiveState = "inactive";

    private readonly DeviceRegistry _devices;
    private readonly IConnectivityStore _store;
    // Resolved on first use: the writer's observers include this tracker.
    private readonly Lazy<IngestWriter> _writer;
    private readonly ILeadership _leadership;
    private readonly RuleBook _rules;
    private readonly InactivityAlerts _alerts;
    private readonly ConnectivityOptions _options;
    private readonly ILogger<ConnectivityTracker> _logger;
    private readonly ConcurrentDictionary<long, Tracked> _tracked = new();
    private readonly PriorityQueue<long, long> _due = new();
    private readonly Lock _dueLock = new();
    // Devices whose recorded state may differ from what they are now, or whose alerts may resolve: looked at next tick.
    private readonly ConcurrentQueue<long> _dirty = new();
    private volatile IReadOnlyDictionary<long, int> _projectTimeouts = new Dictionary<long, int>();

    public ConnectivityTracker(DeviceRegistry devices, IConnectivityStore store, IServiceProvider services, ILeadership leadership, RuleBook rules,
        InactivityAlerts alerts, ChangeBus changes, IOptions<ConnectivityOptions> options, ILogger<ConnectivityTracker> logger)
    {
        (_devices, _store, _leadership, _rules, _alerts, _options, _logger) = (devices, store, leadership, rules, alerts, options.Value, logger);
        _writer = new Lazy<IngestWriter>(services.GetRequiredService<IngestWriter>);
        changes.Subscribe(ChangeTopic, ProjectTimeoutChangedAsync);
        changes.Subscribe(ChangeBus.DeviceTopic, (value, _) => Reschedule(long.Parse(value, CultureInfo.InvariantCulture)));
        changes.Subscribe(ChangeBus.RulesTopic, (_, _) => RescheduleAll());
        changes.Subscribe(ChangeBus.ResyncTopic, async (_, ct) =>
        {
            _projectTimeouts = await _store.LoadProjectTimeoutsAsync(ct);
            await RescheduleAll();
        });
        devices.Removed += device => _tracked.TryRemove(device.Id, out _);
    }

    /// <summary>The state the APIs read is updated before a batch's requests are answered.</summary>
    public bool BeforeAcknowledgement => true;

    /// <summary>Devices tracked (memory grows with them).</summary>
    public int Count => _tracked.Count;

    /// <summary>
    /// Loads the timeouts and each device's latest recorded transition and last-seen time. A device heard from but
    /// never recorded (data from before this version) adopts its current state silently, and a device silent across a
    /// restart is due at once: it is recorded inactive as of its deadline, with no flood of transitions at start.
    /// </summary>
    public async Task LoadAsync(MetricDictionary metrics, CancellationToken ct)
    {
        _projectTimeouts = await _store.LoadProjectTimeoutsAsync(ct);
        var recorded = new Dictionary<long, StoredEvent>();
        foreach (var e in await _store.LoadLatestTransitionsAsync(metrics, ct))
        {
            if (!recorded.TryGetValue(e.DeviceId, out var seen) || e.Id > seen.Id) recorded[e.DeviceId] = e;
        }
        var now = Clock.NowMicros();
        foreach (var device in _devices.All())
        {
            var t = _tracked.GetOrAdd(device.Id, _ => new Tracked());
            lock (t)
            {
                t.LastReceived = Math.Max(t.LastReceived, device.LastSeenMicros ?? 0);
                if (t.LastReceived == 0) continue;
                var deadline = t.LastReceived + TimeoutMicros(device);
                if (recorded.TryGetValue(device.Id, out var transition))
                {
                    t.Recorded = IsActive(transition) ? Recorded.Active : Recorded.Inactive;
                    t.RecordedSince = transition.TsMicros;
                    t.ActiveSince = t.Recorded == Recorded.Active ? transition.TsMicros : t.LastReceived;
                    if ((now < deadline) != (t.Recorded == Recorded.Active)) MarkDirty(device.Id, t);
                }
                else
                {
                    t.Recorded = now < deadline ? Recorded.Active : Recorded.Inactive;
                    t.RecordedSince = now < deadline ? t.LastReceived : deadline;
                    t.ActiveSince = t.LastReceived;
                }
            }
            Schedule(device.Id, t, now);
        }
    }

    /// <summary>A device's connectivity now.</summary>
    public ConnectivityView Get(DeviceRecord device)
    {
        var timeout = TimeoutMicros(device);
        var seconds = (int)(timeout / 1_000_000);
        if (!_tracked.TryGetValue(device.Id, out var t) || t.LastReceived == 0) return new ConnectivityView(false, null, null, null, seconds);
        lock (t)
        {
            var deadline = t.LastReceived + timeout;
            long? deviceTime = t.LastDeviceTs == long.MinValue ? null : t.LastDeviceTs;
            return Clock.NowMicros() < deadline
                ? new ConnectivityView(true, t.ActiveSince, t.LastReceived, deviceTime, seconds)
                : new ConnectivityView(false, deadline, t.LastReceived, deviceTime, seconds);
        }
    }

    /// <summary>
    /// Whether the device is active, and its last-seen time as text (formatted once per change: a summary of thousands of
    /// devices only copies it).
    /// </summary>
    public (bool Active, string? LastSeenAt) Brief(long deviceId, long now)
    {
        if (!_tracked.TryGetValue(deviceId, out var t) || t.LastReceived == 0 || _devices.Get(deviceId) is not { } device) return (false, null);
        lock (t)
        {
            if (t.LastSeenTextFor != t.LastReceived)
            {
                t.LastSeenText = Timestamps.Format(t.LastReceived);
                t.LastSeenTextFor = t.LastReceived;
            }
            return (now < t.LastReceived + TimeoutMicros(device), t.LastSeenText);
        }
    }

    /// <summary>Active and inactive devices per project (one pass; a scrape's or a summary's worth of work).</summary>
    public Dictionary<long, (int Active, int Inactive)> CountPerProject()
    {
        var now = Clock.NowMicros();
        var counts = new Dictionary<long, (int Active, int Inactive)>();
        foreach (var device in _devices.All())
        {
            var active = _tracked.TryGetValue(device.Id, out var t) && t.LastReceived > 0 && now < t.LastReceived + TimeoutMicros(device);
            var (a, i) = counts.GetValueOrDefault(device.ProjectId);
            counts[device.ProjectId] = active ? (a + 1, i) : (a, i + 1);
        }
        return counts;
    }

    public void OnCommitted(CommittedBatch batch)
    {
        if (!_options.Enabled) return;
        for (var i = 0; i < batch.Events.Length; i++)
        {
            var e = batch.Events[i];
            // Imported history says nothing about whether the device is there now.
            if (batch.Drafts[i].Backfill) continue;
            var t = _tracked.GetOrAdd(e.DeviceId, _ => new Tracked());
            if (!e.Kind.IsFromDevice())
            {
                lock (t)
                {
                    if (e.TsMicros < t.RecordedSince) continue;
                    t.Recorded = IsActive(e) ? Recorded.Active : Recorded.Inactive;
                    t.RecordedSince = e.TsMicros;
                }
                MarkDirty(e.DeviceId, t);
                continue;
            }
            bool look, schedule;
            lock (t)
            {
                var timeout = _devices.Get(e.DeviceId) is { } device ? TimeoutMicros(device) : DefaultTimeoutMicros;
                if (t.LastReceived == 0 || e.ReceivedMicros >= t.LastReceived + timeout) t.ActiveSince = e.ReceivedMicros;
                // A silence ended: the alerts it raised may resolve, and the next silence may raise again.
                if (t.Alerted is not null)
                {
                    (t.Returned ??= []).UnionWith(t.Alerted);
                    t.Alerted = null;
                }
                if (e.ReceivedMicros > t.LastReceived) t.LastReceived = e.ReceivedMicros;
                if (e.TsMicros > t.LastDeviceTs) t.LastDeviceTs = e.TsMicros;
                look = t.Recorded != Recorded.Active || t.Returned is not null;
                schedule = !t.Scheduled;
            }
            if (look) MarkDirty(e.DeviceId, t);
            if (schedule) Schedule(e.DeviceId, t, e.ReceivedMicros);
        }
    }

    private static bool IsActive(StoredEvent transition) => transition.Get(StateField)?.Text == ActiveState;

    private void MarkDirty(long deviceId, Tracked t)
    {
        if (t.Queued) return;
        t.Queued = true;
        _dirty.Enqueue(deviceId);
    }

    /// <summary>Puts the device in the queue at its next deadline: its connectivity timeout, and each inactivity rule's.</summary>
    private void Schedule(long deviceId, Tracked t, long now)
    {
        if (_devices.Get(deviceId) is not { } device) return;
        long due;
        lock (t)
        {
            if (t.LastReceived == 0) return;
            due = long.MaxValue;
            var deadline = t.LastReceived + TimeoutMicros(device);
            if (deadline > now || t.Recorded == Recorded.Active) due = deadline;
            if (_rules.HasInactivityRules)
            {
                foreach (var rule in _rules.For(device.ProjectId, deviceId))
                {
                    if (rule.IsInactivity && t.Alerted?.Contains(rule.Id) != true) due = Math.Min(due, t.LastReceived + rule.InactiveSeconds!.Value * 1_000_000L);
                }
            }
            if (due == long.MaxValue || (t.Scheduled && t.DueMicros <= due)) return;
            // Just after the deadline, not at it: a device that reports exactly on its timeout stays active.
            due = Math.Max(due, now) + 1;
            t.Scheduled = true;
            t.DueMicros = due;
        }
        lock (_dueLock) _due.Enqueue(deviceId, due);
    }

    /// <summary>A timeout or a rule changed: the device's deadline is worked out again (an earlier one replaces the queued one).</summary>
    private Task Reschedule(long deviceId)
    {
        if (_tracked.TryGetValue(deviceId, out var t))
        {
            lock (t) t.Scheduled = false;
            Schedule(deviceId, t, Clock.NowMicros());
            MarkDirty(deviceId, t);
        }
        return Task.CompletedTask;
    }

    private Task RescheduleAll()
    {
        foreach (var id in _tracked.Keys) Reschedule(id);
        return Task.CompletedTask;
    }

    private async Task ProjectTimeoutChangedAsync(string value, CancellationToken ct)
    {
        _projectTimeouts = await _store.LoadProjectTimeoutsAsync(ct);
        var projectId = long.Parse(value, CultureInfo.InvariantCulture);
        foreach (var device in _devices.InProject(projectId)) await Reschedule(device.Id);
    }

    private long DefaultTimeoutMicros => _options.DefaultTimeoutSeconds * 1_000_000L;

    /// <summary>The device's own timeout, else its project's, else the server's default.</summary>
    public int TimeoutSeconds(DeviceRecord device) =>
        device.InactivityTimeoutSeconds ?? (_projectTimeouts.TryGetValue(device.ProjectId, out var seconds) ? seconds : _options.DefaultTimeoutSeconds);

    /// <summary>The project's own timeout, or null when it uses the server's default.</summary>
    public int? ProjectTimeoutSeconds(long projectId) => _projectTimeouts.TryGetValue(projectId, out var seconds) ? seconds : null;

    public int DefaultTimeoutSeconds => _options.DefaultTimeoutSeconds;

    private long TimeoutMicros(DeviceRecord device) => TimeoutSeconds(device) * 1_000_000L;

    private enum Recorded : byte
    {
        None,
        Active,
        Inactive,
    }

    /// <summary>What is kept per device: about a hundred bytes, plus its queue entry.</summary>
    private sealed class Tracked
    {
        public long LastReceived;
        public long LastDeviceTs = long.MinValue;
        public long ActiveSince;
        public long RecordedSince = long.MinValue;
        public long DueMicros;
        public long LastSeenTextFor;
        public string? LastSeenText;
        public Recorded Recorded;
        public bool Scheduled, Queued, Writing;
        /// <summary>The inactivity rules that fired during the current silence.</summary>
        public HashSet<long>? Alerted;
        /// <summary>Rules that fired during a silence that has ended: their open alerts may resolve.</summary>
        public HashSet<long>? Returned;
    }
}
