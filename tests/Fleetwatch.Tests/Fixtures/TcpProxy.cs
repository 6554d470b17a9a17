using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of the test PostgreSQL: <see cref="Cut"/> drops every connection and refuses new
/// ones, as a crashed or unreachable database server does, without touching the cluster the other tests share.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<TcpClient, bool> _open = new();
    private readonly CancellationTokenSource _stopped = new();
    private TcpListener _listener;

    private TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync(_listener);
    }

    public int Port { get; }

    public static TcpProxy Start(string host, int port) =>
        new(new IPEndPoint(Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork), port));

    /// <summary>Closes every proxied connection and the listening port: connections are refused until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _listener.Stop();
        foreach (var client in _open.Keys) client.Dispose();
        _open.Clear();
    }

    public void Restore()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _ = AcceptAsync(_listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stopped.IsCancellationRequested)
        {
            TcpClient downstream;
            try
            {
                downstream = await listener.AcceptTcpClientAsync(_stopped.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }
            _ = PipeAsync(downstream);
        }
    }

    private async Task PipeAsync(TcpClient downstream)
    {
        var upstream = new TcpClient();
        _open[downstream] = true;
        _open[upstream] = true;
        try
        {
            await upstream.ConnectAsync(_target, _stopped.Token);
            var a = downstream.GetStream();
            var b = upstream.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stopped.Token), b.CopyToAsync(a, _stopped.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Cut, or one side went away: close both.
        }
        finally
        {
            _open.TryRemove(downstream, out _);
            _open.TryRemove(upstream, out _);
            downstream.Dispose();
            upstream.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopped.Cancel();
        Cut();
        _stopped.Dispose();
        return ValueTask.CompletedTask;
    }
}
