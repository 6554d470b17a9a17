using Fleetwatch.Hosting;

return await Cli.RunAsync(args);
