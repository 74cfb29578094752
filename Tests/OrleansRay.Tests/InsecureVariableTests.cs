using OrleansRay.Hosting;
using OrleansRay.ObjectStore.Security;
using Xunit;

namespace OrleansRay.Tests;

/// <summary><c>$ORLEANSRAY_INSECURE</c> for drivers, beside <c>$ORLEANSRAY_ADDRESS</c> and <c>$ORLEANSRAY_AUTH_TOKEN</c>:
/// true/1 connects without a token, false/0 does not, anything else is one line naming the variable, and an option set
/// on <see cref="RayOptions"/> wins over it.</summary>
public sealed class InsecureVariableTests
{
    private static readonly string Token = ClusterCredentials.NewToken();

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData(" TRUE ", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("", false)]
    public void True_or_1_connects_without_a_token_false_0_or_empty_with_one(string value, bool insecure)
    {
        var (credentials, source) = ConnectedCluster.ResolveCredentials(new RayOptions(), EnvironmentOf(value, insecure ? null : Token));

        using (credentials)
        {
            Assert.Equal(insecure ? null : Token, credentials?.Token);
            Assert.Equal(insecure ? "$ORLEANSRAY_INSECURE" : "$ORLEANSRAY_AUTH_TOKEN", source);
        }

        // false and 0 are read, not ignored: they do not clash with a token, as true does.
        if (!insecure)
        {
            Assert.Throws<ArgumentException>(() => ConnectedCluster.ResolveCredentials(new RayOptions(), EnvironmentOf("true", Token)));
        }
    }

    [Fact]
    public void A_token_or_Insecure_false_set_on_the_options_wins_over_the_variable()
    {
        var (alone, aloneSource) = ConnectedCluster.ResolveCredentials(new RayOptions(), EnvironmentOf("true", token: null));
        Assert.Null(alone);
        Assert.Equal("$ORLEANSRAY_INSECURE", aloneSource);

        var (withToken, tokenSource) = ConnectedCluster.ResolveCredentials(new RayOptions { AuthToken = Token }, EnvironmentOf("true", token: null));
        using (withToken)
        {
            Assert.Equal(Token, withToken?.Token);
            Assert.Equal("RayOptions.AuthToken", tokenSource);
        }

        // Insecure = false set explicitly: the token from the variable is used, and the two variables do not clash.
        var (secure, secureSource) = ConnectedCluster.ResolveCredentials(new RayOptions { Insecure = false }, EnvironmentOf("true", Token));
        using (secure)
        {
            Assert.Equal(Token, secure?.Token);
            Assert.Equal("$ORLEANSRAY_AUTH_TOKEN", secureSource);
        }
    }

    [Fact]
    public void A_bad_value_is_one_line_naming_the_variable_and_what_it_takes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConnectedCluster.ResolveCredentials(new RayOptions(), EnvironmentOf("yes", Token)));

        Assert.StartsWith("$ORLEANSRAY_INSECURE is 'yes': expected true, false, 1 or 0", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void True_with_a_token_in_the_token_variable_says_to_unset_one()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConnectedCluster.ResolveCredentials(new RayOptions(), EnvironmentOf("true", Token)));

        Assert.Contains("$ORLEANSRAY_INSECURE is 'true' and $ORLEANSRAY_AUTH_TOKEN holds a token: unset one", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>An environment of its own for the test (the process's variables are shared by tests running at once).</summary>
    private static Func<string, string?> EnvironmentOf(string? insecure, string? token) => name => name switch
    {
        ConnectedCluster.InsecureVariable => insecure,
        ClusterCredentials.TokenVariable => token,
        _ => null,
    };
}
