using Fleetwatch.Load;

// The load generator of bench/run.sh: talks HTTP and WebSocket to a running server, prints what it measured.
return args.FirstOrDefault() switch
{
    "aggregate" => await AggregateBench.RunAsync(Options.Parse(args[1..])),
    "latency" => await LatencyBench.RunAsync(Options.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        fleetwatch-load aggregate --url URL --key ADMIN_KEY [--points 10000000] [--days 90]
        fleetwatch-load latency   --url URL --key ADMIN_KEY [--samples 500]
        """);
    return 2;
}
