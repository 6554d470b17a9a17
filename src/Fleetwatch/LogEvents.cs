namespace Fleetwatch;

/// <summary>
/// Every log event id, in one place (as npgsql's <c>NpgsqlEventId</c>), so a log search by id finds one message; a
/// test checks that none repeats. Blocks of a hundred per feature.
/// </summary>
public static class LogEvents
{
    // 1000: ingest
    public const int BatchCommitted = 1001, ObserverFailed = 1002, BatchFailed = 1003;
    // 1300: orgs, projects, keys
    public const int OpenBootstrap = 1301;
    // 1400: rules
    public const int AlertRaised = 1401, RuleEvaluationFailed = 1402;
    // 1500: webhooks
    public const int WebhookClaimFailed = 1501, WebhookDeliveryFailed = 1502;
    // 1600: rollups
    public const int RollupFailed = 1601;
    // 1700: connectivity
    public const int ConnectivityTickFailed = 1701, InactivityAlertRaised = 1702, LeadershipGained = 1703, LeadershipLost = 1704;
    // 1800: MQTT
    public const int MqttRefused = 1801, MqttDropped = 1802, MqttCommitFailed = 1803, MqttDisconnected = 1804, MqttListening = 1805;
    // 1900: bookkeeping flushed in the background
    public const int LatestTimesFlushFailed = 1901;
    // 2000: storage
    public const int StorageOpening = 2001, DevicesLoaded = 2002, StartupLoaded = 2003, StorageUnreachable = 2004, UnknownSetting = 2005;
    // 2100: the PostgreSQL event feed
    public const int FeedDisconnected = 2101, FeedCaughtUp = 2102;
    // 2200: retention
    public const int RetentionFailed = 2201, DatabaseNearCap = 2202;
    // 3000: the fleet API
    public const int FleetDevicesImported = 3001, FleetAnonymousOn = 3002, FleetAnonymousOff = 3003;
    // 9000: requests
    public const int UnhandledError = 9001, DatabaseFailure = 9002, ClientGone = 9003;
}
