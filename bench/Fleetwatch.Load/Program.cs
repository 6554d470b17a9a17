using Fleetwatch.Load;

// The load generator of bench/run.sh: talks HTTP and WebSocket to a running server (or, for baselines, to
// its database directly) and prints what it measured, one "name value" line per figure for the script.
return args.FirstOrDefault() switch
{
    "aggregate" => await AggregateBench.RunAsync(Options.Parse(args[1..])),
    "latency" => await LatencyBench.RunAsync(Options.Parse(args[1..])),
    "batch" => await BatchBench.RunAsync(Options.Parse(args[1..])),
    "store-insert" => await BatchBench.StoreInsertAsync(Options.Parse(args[1..])),
    "seed-statuses" => await StatusBench.SeedAsync(Options.Parse(args[1..])),
    "summary" => await StatusBench.SummaryAsync(Options.Parse(args[1..])),
    "history" => await StatusBench.HistoryAsync(Options.Parse(args[1..])),
    "disk" => await DiskBench.RunAsync(Options.Parse(args[1..])),
    "webhook-latency" => await WebhookBench.RunAsync(Options.Parse(args[1..])),
    "connectivity" => await ConnectivityBench.RunAsync(Options.Parse(args[1..])),
    "mqtt" => await MqttBench.RunAsync(Options.Parse(args[1..])),
    "browser" => await BrowserBench.RunAsync(Options.Parse(args[1..])),
    "transfer" => await TransferBench.RunAsync(Options.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        fleetwatch-load aggregate     --url URL --key ADMIN_KEY [--points 10000000] [--days 90] [--device NAME]
        fleetwatch-load latency       --url URL --key ADMIN_KEY [--samples 500]
        fleetwatch-load batch         --url URL --key ADMIN_KEY [--seconds 15] [--size 1000] [--name batch]
        fleetwatch-load store-insert  --db DB [--points 2000000] [--size 1000]
        fleetwatch-load seed-statuses --url URL --key KEY [--devices 100000]
        fleetwatch-load summary       --url URL --key ADMIN_KEY [--devices 10000]
        fleetwatch-load history       --url URL --key ADMIN_KEY [--statuses 200000]
        fleetwatch-load disk          --db DB
        fleetwatch-load webhook-latency --url URL --key ADMIN_KEY [--samples 50]
        fleetwatch-load connectivity  --url URL --key ADMIN_KEY [--devices 100000] [--projects 10] [--detect 1] [--prefix heap]
        fleetwatch-load browser       --url URL --key ADMIN_KEY --device NAME [--rounds 5]   (headless /usr/bin/chromium)
        fleetwatch-load transfer      --url URL --key ADMIN_KEY --device NAME [--pid SERVER_PID] [--import-limit 1000000] [--seconds 5]
        fleetwatch-load mqtt          --url URL --key ADMIN_KEY --mqtt-port PORT [--connections 100] [--in-flight 8] [--seconds 10] [--pid SERVER_PID]
        """);
    return 2;
}
