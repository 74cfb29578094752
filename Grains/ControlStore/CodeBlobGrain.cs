using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>One content-addressed file of job code; see <see cref="ICodeBlobGrain"/>.</summary>
/// <remarks>Not kept alive: an idle blob deactivates (its bytes leave the head's memory) and is read from grain storage
/// again when a node asks. With in-memory storage the bytes stay in the storage provider's memory on the head.</remarks>
[HeadPlacement]
[GrainType("orleansray.codeblob")] // not Orleans' default "codeblob": an application grain class of that name would clash (hosting)
internal sealed partial class CodeBlobGrain : Grain, ICodeBlobGrain
{
    private readonly IPersistentState<CodeBlobState> _state;
    private readonly ILogger<CodeBlobGrain> _logger;

    public CodeBlobGrain(
        [PersistentState("code", ControlStoreStorage.Name)] IPersistentState<CodeBlobState> state,
        ILogger<CodeBlobGrain> logger)
    {
        _state = state;
        _logger = logger;
    }

    public Task<bool> HasAsync() => Task.FromResult(_state.State.Bytes is not null);

    public async Task PutAsync(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (_state.State.Bytes is not null)
        {
            return;
        }

        if (bytes.Length > ICodeBlobGrain.MaxBytes)
        {
            throw new ArgumentException($"A file of job code is {bytes.Length:N0} bytes; the cluster takes files up to {ICodeBlobGrain.MaxBytes:N0} bytes.", nameof(bytes));
        }

        var key = this.GetPrimaryKeyString();
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(hash, key, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The uploaded bytes hash to {hash}, not to {key}: the upload was corrupted or names the wrong file.", nameof(bytes));
        }

        _state.State.Bytes = bytes;
        try
        {
            await _state.WriteStateAsync().ConfigureAwait(true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The head keeps it in memory while active; the next upload of the same file writes it again.
            LogWriteFailed(_logger, key, ex.GetType().Name, ex.Message);
        }
    }

    public Task<byte[]?> GetAsync() => Task.FromResult(_state.State.Bytes);

    public async Task<long> DeleteAsync()
    {
        var freed = _state.State.Bytes?.LongLength ?? 0;
        // Cleared in storage even when this activation holds nothing: a write that failed earlier may have left a row.
        await _state.ClearStateAsync().ConfigureAwait(true);
        _state.State.Bytes = null;
        DeactivateOnIdle();
        return freed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing job code file {Hash} to grain storage failed ({ErrorType}: {Reason}); the head keeps it in memory while the grain is active")]
    private static partial void LogWriteFailed(ILogger logger, string hash, string errorType, string reason);
}

/// <summary>The stored bytes of a <see cref="CodeBlobGrain"/>.</summary>
[GenerateSerializer, Alias("orleansray.codeblobstate")]
public sealed class CodeBlobState
{
    [Id(0)] public byte[]? Bytes { get; set; }
}
