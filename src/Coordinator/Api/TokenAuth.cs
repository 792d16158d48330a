using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;

namespace ClusterTrain.Coordinator.Api;

/// <summary>
/// The bearer token check. gRPC calls carry <c>authorization: Bearer TOKEN</c>. A browser cannot add a header to
/// the page it opens, so the dashboard also takes <c>?token=TOKEN</c> once: it sets the HttpOnly, SameSite=Strict
/// cookie <see cref="CookieName"/> and redirects to the same page without the token, keeping it out of history and logs.
/// </summary>
public sealed class TokenAuth(string? token)
{
    public const string CookieName = "clustertrain_token";

    public bool Required => token is not null;

    public bool Accepts(string? presented)
    {
        if (token is null) return true;
        if (presented is null) return false;
        // Fixed-time comparison: how much of a guess matched must not show in the answer time.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(token));
    }

    public static string? Bearer(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;

    /// <summary>The dashboard's gate: every HTTP request that is not a gRPC call (those go through <see cref="Interceptor"/>).</summary>
    public async Task Middleware(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!Required || request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            await next(context);
            return;
        }
        if (request.Query.TryGetValue("token", out var query))
        {
            if (!Accepts(query.ToString()))
            {
                await Refuse(context);
                return;
            }
            context.Response.Cookies.Append(CookieName, query.ToString(), new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
            context.Response.Redirect(request.PathBase + request.Path);
            return;
        }
        var presented = Bearer(request.Headers.Authorization) ?? request.Cookies[CookieName];
        if (!Accepts(presented))
        {
            await Refuse(context);
            return;
        }
        await next(context);
    }

    private static Task Refuse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(
            "This ClusterTrain coordinator requires its API token. Open this page once as /?token=TOKEN; the browser then keeps it in a cookie.\n");
    }

    /// <summary>Refuses every gRPC call without the right bearer token with Unauthenticated.</summary>
    public sealed class Interceptor(TokenAuth auth) : Grpc.Core.Interceptors.Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
            TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            Check(context);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(
            TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Check(context);
            return continuation(request, responseStream, context);
        }

        private void Check(ServerCallContext context)
        {
            if (auth.Accepts(Bearer(context.RequestHeaders.GetValue("authorization")))) return;
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "this coordinator requires a bearer token (clustertrain --token or CLUSTERTRAIN_TOKEN), and the call carried none or a wrong one"));
        }
    }
}
