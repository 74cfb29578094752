using OrleansRay.Hosting;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>A driver's unusable auth token (too short, white space), from <see cref="RayOptions.AuthToken"/> or
/// <c>$ORLEANSRAY_AUTH_TOKEN</c>, is a <see cref="RayException"/> naming where it came from, as README's "Errors" says
/// of every token problem: not an <see cref="ArgumentException"/> ending in "(Parameter 'options')" (reviewer's defect).</summary>
public sealed class TokenProblemTests
{
    [Fact]
    public async Task A_too_short_token_option_fails_InitAsync_with_a_RayException()
    {
        var refused = await Assert.ThrowsAsync<RayException>(() =>
            Ray.InitAsync(new RayOptions { Address = "127.0.0.1:1", AuthToken = "wrongtoken" }).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal("RayOptions.AuthToken: the auth token has 10 characters, fewer than the 16 required: use a long random string, or let `orleansray start --head` make one.", refused.Message);
    }

    [Theory]
    [InlineData("wrongtoken", "the auth token has 10 characters, fewer than the 16 required")]
    [InlineData("a token with spaces in it", "the auth token contains white space")]
    public void An_unusable_token_in_the_variable_is_a_RayException_naming_the_variable(string token, string problem)
    {
        var refused = Assert.Throws<RayException>(() =>
            ConnectedCluster.ResolveCredentials(new RayOptions(), name => name == "ORLEANSRAY_AUTH_TOKEN" ? token : null));

        Assert.StartsWith("$ORLEANSRAY_AUTH_TOKEN: " + problem, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", refused.Message, StringComparison.Ordinal);
    }
}
