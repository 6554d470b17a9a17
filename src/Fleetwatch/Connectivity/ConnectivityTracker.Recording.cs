using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Connectivity;

/// <summary>
/// Recording: on the leading node only, each tick looks at the devices marked dirty and those whose deadline passed,
/// and writes their transitions (and inactivity alerts) in one go.
/// </summary>
public sealed partial class ConnectivityTracker
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.CheckIntervalMs));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // A follower keeps its queues: they are what it looks at first if it becomes the leader.
            if (!_leadership.IsLeader) continue;
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // What failed stays dirty or due: the next tick tries again. (A cancelled write is a failure too: only
                // stopping ends this loop.)
                Log.TickFailed(_logger, e);
            }
        }
    }

    /// <summary>One pass over the devices marked dirty and those whose deadline passed; their transitions go in one write.</summary>
    private async Task TickAsync(CancellationToken ct)
    {
        var now = Clock.NowMicros();
        var look = new HashSet<long>();
        while (_dirty.TryDequeue(out var id))
        {
            if (_tracked.TryGetValue(id, out var t)) t.Queued = false;
            look.Add(id);
        }
        lock (_dueLock)
        {
            while (_due.TryPeek(out var id, out var due) && due <= now)
            {
                _due.Dequeue();
                if (_tracked.TryGetValue(id, out var t) && t.Scheduled && t.DueMicros == due)
                {
                    t.Scheduled = false;
                    look.Add(id);
                }
            }
        }
        var drafts = new List<EventDraft>();
        var work = new List<InactivityAlerts.Work>();
        foreach (var id in look)
        {
            if (_devices.Get(id) is not { } device || !_tracked.TryGetValue(id, out var t)) continue;
            lock (t)
            {
                if (t.LastReceived == 0) continue;
                var timeout = TimeoutMicros(device);
                var deadline = t.LastReceived + timeout;
                if (!t.Writing && now < deadline && t.Recorded != Recorded.Active)
                {
                    drafts.Add(Transition(device, true, t.ActiveSince, t.Recorded == Recorded.None ? "first data received" : "data received again"));
                    t.Writing = true;
                }
                else if (!t.Writing && now >= deadline && t.Recorded == Recorded.Active)
                {
                    drafts.Add(Transition(device, false, deadline, $"nothing received for {timeout / 1_000_000} s"));
                    t.Writing = true;
                }
                if (t.Returned is { } returned)
                {
                    work.Add(new InactivityAlerts.Work(device, null, t.LastReceived, returned));
                    t.Returned = null;
                }
                foreach (var rule in _rules.For(device.ProjectId, id))
                {
                    if (rule.IsInactivity && now >= t.LastReceived + rule.InactiveSeconds!.Value * 1_000_000L && (t.Alerted ??= []).Add(rule.Id))
                        work.Add(new InactivityAlerts.Work(device, rule, t.LastReceived, null));
                }
            }
            Schedule(id, t, now);
        }
        if (drafts.Count > 0)
        {
            try
            {
                await _writer.Value.WriteAsync([.. drafts], ct);
            }
            finally
            {
                foreach (var draft in drafts) Written(draft.DeviceId);
            }
        }
        await _alerts.ApplyAsync(work, ct);
    }

    /// <summary>The write answered (the transition observed, or failed): the device may be looked at again.</summary>
    private void Written(long deviceId)
    {
        if (!_tracked.TryGetValue(deviceId, out var t)) return;
        lock (t) t.Writing = false;
        MarkDirty(deviceId, t);
    }

    private static EventDraft Transition(DeviceRecord device, bool active, long sinceMicros, string reason) => new()
    {
        ProjectId = device.ProjectId,
        ExternalId = device.ExternalId,
        DeviceId = device.Id,
        Kind = EventKind.Connectivity,
        TsMicros = sinceMicros,
        Fields =
        [
            new Field(StateField, FieldValue.Of(active ? ActiveState : InactiveState)),
            new Field(SinceField, FieldValue.Of(Timestamps.Format(sinceMicros))),
            new Field(ReasonField, FieldValue.Of(reason)),
        ],
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ConnectivityTickFailed, Level = LogLevel.Warning, Message = "Recording connectivity transitions failed; retrying next tick")]
        public static partial void TickFailed(ILogger logger, Exception exception);
    }
}
