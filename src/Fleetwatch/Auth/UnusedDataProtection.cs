using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Fleetwatch.Auth;

/// <summary>
/// ASP.NET Core's authentication brings its data protection (cookie and token encryption), which Fleetwatch never
/// uses: keys are hashed API keys, there are no cookies. Left as it is, it makes a key ring at start under
/// ~/.aspnet (a write outside the data directory, refused by a hardened service) and warns that the key is stored
/// unencrypted. Here its keys live in memory, unencrypted on purpose since nothing leaves the process, and its
/// start-up service is removed, so nothing happens unless something ever protects data.
/// </summary>
public static class UnusedDataProtection
{
    public static IServiceCollection KeepDataProtectionInMemory(this IServiceCollection services)
    {
        services.Configure<KeyManagementOptions>(options =>
        {
            options.XmlRepository = new MemoryKeyRing();
            options.XmlEncryptor = new NullXmlEncryptor();
        });
        var startUp = services.Where(s => s.ServiceType == typeof(IHostedService)
            && s.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList();
        foreach (var descriptor in startUp) services.Remove(descriptor);
        return services;
    }

    private sealed class MemoryKeyRing : IXmlRepository
    {
        private readonly List<XElement> _elements = [];

        public IReadOnlyCollection<XElement> GetAllElements()
        {
            lock (_elements) return [.. _elements.Select(e => new XElement(e))];
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            lock (_elements) _elements.Add(new XElement(element));
        }
    }
}
