using System.Net;
using System.Net.Sockets;

namespace Fleetwatch.Hosting;

/// <summary>
/// Before anything is created (a database file, a lock), each address the server will listen on is tried, so a port
/// in use is one clear line naming the port and the option that changes it — not a stack trace after the database
/// was already made. (Kestrel still binds for real afterwards; a port taken in between fails as it always did.)
/// </summary>
public static class ListenCheck
{
    public static void EnsureFree(string? urls, IConfiguration configuration)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new StartupFailure($"--urls: {url} is not a URL like http://127.0.0.1:8000", StartupFailure.BadUsage);
            var port = uri.IsDefaultPort ? (uri.Scheme == "https" ? 443 : 80) : uri.Port;
            Try(uri.Host, port, url, $"--urls {uri.Scheme}://{uri.Host}:PORT");
        }
        if (configuration.GetValue<bool>("Mqtt:Enabled"))
        {
            var host = configuration["Mqtt:Host"] ?? "*";
            Try(host, configuration.GetValue("Mqtt:Port", 1883), $"MQTT on {host}", "--Mqtt:Port PORT");
            if (configuration.GetValue("Mqtt:TlsPort", 0) is var tls and not 0) Try(host, tls, $"MQTT over TLS on {host}", "--Mqtt:TlsPort PORT");
        }
    }

    private static void Try(string host, int port, string what, string change)
    {
        if (port == 0) return;
        IPAddress address;
        if (host is "*" or "0.0.0.0" or "[::]" or "::") address = IPAddress.Any;
        else if (host == "localhost") address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host.Trim('[', ']'), out address!))
            throw new StartupFailure($"cannot listen on {what}: {host} is not an IP address (use an address of this machine, localhost or *)", StartupFailure.BadUsage);
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel binds on Linux: a port whose old connections linger in TIME_WAIT is free; one a program listens on is not.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new StartupFailure($"cannot listen on {what}: port {port} is in use by another program; choose another with {change}", StartupFailure.CannotStart);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new StartupFailure($"cannot listen on {what}: port {port} needs privileges (below 1024: root or CAP_NET_BIND_SERVICE); choose another with {change}",
                StartupFailure.CannotStart);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw new StartupFailure($"cannot listen on {what}: {host} is not an address of this machine", StartupFailure.CannotStart);
        }
    }
}
