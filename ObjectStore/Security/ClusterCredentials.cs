using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace OrleansRay.ObjectStore.Security;

/// <summary>A cluster's secret (its auth token, Ray's <c>RAY_AUTH_TOKEN</c>) and the TLS identity every process that holds
/// it derives from it: one ECDSA P-256 key, the same in every process, so two processes that complete a mutual TLS 1.3
/// handshake with <see cref="IsClusterCertificate"/> as the check both hold the token.</summary>
/// <remarks>
/// <para>The key is HKDF-SHA256 of the token stretched by PBKDF2-SHA256 (200,000 rounds); the certificate around it is self-signed and made fresh in each process
/// (its validity and serial differ, its key does not). Peers are checked by their public key alone: there is no CA, no
/// host name and no expiry to manage, and a process without the token cannot make a certificate with this key.</para>
/// <para>Every OrleansRay connection between processes uses it: Orleans' silo-to-silo and client-to-gateway connections
/// (<c>Microsoft.Orleans.Connections.Security</c>) and the object stores' peer transfers. Lives in the object store
/// assembly because that is the lowest one both the store process and the runtime reference.</para>
/// </remarks>
public sealed class ClusterCredentials : IDisposable
{
    /// <summary>Environment variable that carries the token to a process (a node, a driver, a store): never a command
    /// line, which <c>ps</c> shows to every user.</summary>
    public const string TokenVariable = "ORLEANSRAY_AUTH_TOKEN";

    /// <summary>The shortest token accepted: 16 characters. Generated tokens have 43 (32 random bytes, base64url).</summary>
    public const int MinTokenLength = 16;

    private static readonly byte[] KeySalt = "orleansray cluster credentials"u8.ToArray();
    private static readonly byte[] KeyInfo = "tls key v1"u8.ToArray();

    /// <summary>PBKDF2 rounds before anything is derived: the cluster's public key is readable by anyone who reaches a
    /// port, so a guessed token must cost this much to check offline (a user-chosen one may be weak; generated ones
    /// have 256 bits and need no help). About 0.1 s once per process.</summary>
    private const int StretchIterations = 200_000;

    private readonly byte[] _publicKey;
    private readonly byte[] _token;
    private readonly byte[] _stretched;

    private ClusterCredentials(string token)
    {
        Token = token;
        _token = Encoding.UTF8.GetBytes(token);
        _stretched = Rfc2898DeriveBytes.Pbkdf2(_token, KeySalt, StretchIterations, HashAlgorithmName.SHA256, 32);
        using var key = DeriveKey(_stretched);
        _publicKey = key.ExportSubjectPublicKeyInfo();
        var request = new CertificateRequest("CN=orleansray-cluster", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")],
            critical: false));
        var now = DateTimeOffset.UtcNow;
        Certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
    }

    /// <summary>The token itself.</summary>
    public string Token { get; }

    /// <summary>This process' certificate: self-signed, with the key derived from the token, good for both ends of a
    /// connection (server and client authentication). Disposed with this object.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>A new random token: 32 bytes from the system's CSPRNG, base64url (43 characters).</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The credentials of <paramref name="token"/>.</summary>
    /// <param name="token">The cluster's token: at least <see cref="MinTokenLength"/> characters, no white space.</param>
    /// <exception cref="ArgumentException">The token is empty, too short, or contains white space; the message says what to do.</exception>
    public static ClusterCredentials FromToken(string token)
    {
        if (Problem(token) is { } problem)
        {
            throw new ArgumentException(problem, nameof(token));
        }

        return new ClusterCredentials(token);
    }

    /// <summary>What is wrong with <paramref name="token"/> as a cluster token, or null when it is fine.</summary>
    public static string? Problem(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return "the auth token is empty: use the one `orleansray start --head` printed (or leave it out on the head's machine).";
        }

        if (token.Any(char.IsWhiteSpace))
        {
            return "the auth token contains white space: copy it exactly as `orleansray start --head` printed it.";
        }

        return token.Length < MinTokenLength
            ? $"the auth token has {token.Length} characters, fewer than the {MinTokenLength} required: use a long random string, or let `orleansray start --head` make one."
            : null;
    }

    /// <summary>The credentials from <see cref="TokenVariable"/>, or null when it is not set.</summary>
    /// <exception cref="ArgumentException">The variable holds an unusable token.</exception>
    public static ClusterCredentials? FromEnvironment() =>
        Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token ? FromToken(token.Trim()) : null;

    /// <summary>True when <paramref name="certificate"/> carries this cluster's key, i.e. its owner holds the token.</summary>
    public bool IsClusterCertificate(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        var other = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            using var key = other.GetECDsaPublicKey();
            return key is not null && CryptographicOperations.FixedTimeEquals(key.ExportSubjectPublicKeyInfo(), _publicKey);
        }
        finally
        {
            if (!ReferenceEquals(other, certificate))
            {
                other.Dispose();
            }
        }
    }

    /// <summary>True when <paramref name="candidate"/> is the token (a constant-time comparison).</summary>
    public bool IsToken(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    /// <summary>A secret derived from the token for one <paramref name="purpose"/> (HMAC-SHA256, base64url): e.g. the
    /// dashboard's cookie value, so the token itself never sits in a browser.</summary>
    public string DeriveSecret(string purpose) => Base64Url(HMACSHA256.HashData(_stretched, Encoding.UTF8.GetBytes(purpose)));

    /// <summary>Options for the accepting end of a connection: TLS 1.3, a client certificate required and checked.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateRequired = true,
        EnabledSslProtocols = SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsClusterCertificate(certificate),
    };

    /// <summary>Options for the connecting end: TLS 1.3, this certificate offered, the server's checked.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        TargetHost = "orleansray-cluster",
        ClientCertificates = [Certificate],
        EnabledSslProtocols = SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsClusterCertificate(certificate),
    };

    /// <inheritdoc/>
    public void Dispose() => Certificate.Dispose();

    private static ECDsa DeriveKey(byte[] stretched)
    {
        // A P-256 private key is a scalar in [1, n-1]; 32 HKDF bytes fall outside with probability ~2^-32, so try the
        // next counter in that case.
        for (byte counter = 0; ; counter++)
        {
            var d = HKDF.DeriveKey(HashAlgorithmName.SHA256, stretched, 32, KeySalt, [.. KeyInfo, counter]);
            try
            {
                return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            }
            catch (CryptographicException) when (counter < 8)
            {
            }
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
