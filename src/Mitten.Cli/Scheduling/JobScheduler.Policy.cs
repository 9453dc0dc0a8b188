using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary>The policy loop: hosts reported failing go to the policy, whose requests are dropped like an operator's.</summary>
internal sealed partial class JobScheduler
{
    private async Task RunPolicyAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (string host in failingHosts.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await policy.OnHostFailingAsync(host, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Policy failed on failing host {Host}", host);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
