#
# Varnish in front of Strata: caches the public site's pages and the public API's answers,
# and drops them by surrogate key (vmod xkey) when Strata — or an operator — sends a PURGE.
#
# Written for Varnish 7.1 with varnish-modules (xkey). See README.md next to this file.
#
vcl 4.1;

import std;
import xkey;

# The Strata instance (`strata serve --bind 127.0.0.1:8000`). Several instances: use
# vmod_directors (round_robin) over one backend per instance.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    # Generous: a passed admin request (bulk import, media upload) can take a while.
    .first_byte_timeout = 60s;
    .between_bytes_timeout = 10s;
    # A health probe is optional (uncomment): Strata answers /readyz once its stores are up.
    # .probe = {
    #     .url = "/readyz";
    #     .interval = 5s;
    #     .timeout = 2s;
    #     .window = 5;
    #     .threshold = 3;
    #     .initial = 3;
    # }
}

# Who may invalidate: the Strata instances (their outbox sends the purges) and operators.
# Edit to match your network.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # Ours alone: set below for vcl_synth, never taken from a client.
    unset req.http.X-Xkey-Invalidated;

    # PURGE by surrogate key, from the ACL only:
    #   xkey-purge: k1 k2 …      drops every object tagged with any of the keys;
    #   xkey-softpurge: k1 k2 …  expires them but keeps them for grace (served stale while
    #                            one background fetch refreshes them) and for conditional
    #                            (If-None-Match) revalidation.
    # Keys are sent exactly as Strata spells them in Surrogate-Key (percent-encoded): xkey
    # compares bytes and decodes nothing. With both headers, xkey-purge wins.
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge ~ "[^\s,]") {
            set req.http.X-Xkey-Invalidated = xkey.purge(req.http.xkey-purge);
        } else if (req.http.xkey-softpurge ~ "[^\s,]") {
            set req.http.X-Xkey-Invalidated = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "PURGE needs an xkey-purge or xkey-softpurge header"));
        }
        return (synth(200, "Invalidated " + req.http.X-Xkey-Invalidated + " objects"));
    }

    # An absolute-form request line (`GET http://host/path`) names the host itself; rewrite it
    # so the path rules below and the cache key see the path only.
    if (req.url ~ "(?i)^https?://") {
        set req.http.Host = regsub(req.url, "(?i)^https?://([^/?#]*).*$", "\1");
        set req.url = regsub(req.url, "(?i)^https?://[^/?#]*", "");
        if (req.url !~ "^/") {
            set req.url = "/" + req.url;
        }
    }

    # Only reads are cached; writes (and anything unusual) go straight to Strata.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }

    # Never cached: the admin SPA and API, login/logout, the Next.js revalidation hook, previews,
    # operations endpoints. Their cookies travel untouched. Strata marks these answers
    # `private, no-store` as well; passing them here also spares a cache lookup.
    if (req.url ~ "^/admin([/?]|$)" ||
        req.url ~ "^/api/(admin|auth)([/?]|$)" ||
        req.url ~ "^/api/revalidate([/?]|$)" ||
        req.url ~ "^/preview([/?]|$)" ||
        req.url ~ "^/(metrics|healthz|readyz)([/?]|$)") {
        return (pass);
    }

    # A token-authenticated call answers for its caller, not for everyone.
    if (req.http.Authorization) {
        return (pass);
    }

    # The public site and the public API never read cookies (only the admin and /api/auth/ do,
    # which were passed above), so a signed-in editor's session cookie must not turn every
    # page view into a miss.
    unset req.http.Cookie;

    # Tracking parameters change nothing in Strata's answer (it ignores unknown parameters);
    # drop them so they do not split the cache.
    if (req.url ~ "[?&](utm_[a-z_]+|gclid|fbclid|msclkid)=") {
        set req.url = regsuball(req.url, "(?<=[?&])(utm_[a-z_]+|gclid|fbclid|msclkid)=[^&]*(&|$)", "");
        set req.url = regsub(req.url, "[?&]+$", "");
    }

    # The builtin vcl_recv follows: it normalizes Host and looks the request up (hash).
}

sub vcl_synth {
    # PURGE answers: plain text, and the count in a header for scripts.
    if (req.method == "PURGE") {
        if (req.http.X-Xkey-Invalidated) {
            set resp.http.X-Xkey-Invalidated = req.http.X-Xkey-Invalidated;
        }
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}

sub vcl_backend_response {
    # xkey indexes objects by the `xkey` response header; Strata spells its tags as
    # `Surrogate-Key` (space-separated, as Fastly reads them).
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }

    # A passed request is fetched and forgotten: nothing to decide.
    if (bereq.uncacheable) {
        return (deliver);
    }

    # Refreshing a stale object in the background and Strata failed: keep serving the stale copy
    # rather than replacing it with the error.
    if (bereq.is_bgfetch && beresp.status >= 500) {
        return (abandon);
    }

    # What must not be shared. The builtin VCL stops looking at Cache-Control as soon as a
    # Surrogate-Control header is present, so a `private` or `no-store` answer that also carries
    # Surrogate-Control would be cached: decide here, on both headers. `no-cache` alone is
    # different: Strata sends the public API's answers with `Cache-Control: no-cache` (for
    # browsers and for shared caches nobody purges) plus `Surrogate-Control: max-age=N` (for the
    # caches it purges, this one), so `no-cache` stops caching only without Surrogate-Control.
    # Hit-for-miss (uncacheable for 120 s) lets the following requests go to Strata in parallel
    # instead of queueing behind one fetch.
    if (beresp.http.Cache-Control ~ "(?i)(^|[\s,])(private|no-store)([\s,=]|$)" ||
        (beresp.http.Cache-Control ~ "(?i)(^|[\s,])no-cache([\s,=]|$)" &&
         !beresp.http.Surrogate-Control) ||
        beresp.http.Cache-Control ~ "(?i)(^|[\s,])s-maxage\s*=\s*0+([\s,]|$)" ||
        beresp.http.Surrogate-Control ~ "(?i)(^|[\s,])no-store([\s,]|$)" ||
        beresp.http.Set-Cookie ||
        beresp.http.Vary ~ "^\s*\*\s*$") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }

    # Pages, renamed pages' permanent redirects and not-found pages are cached (Strata tags all
    # three); any other status — an error, a 400 for a bad filter — is not. A 304 to a
    # revalidation arrives here as the stale object's status (beresp.was_304).
    if (beresp.status != 200 && beresp.status != 301 &&
        beresp.status != 404 && beresp.status != 410) {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }

    # The TTL. Varnish has already applied Cache-Control (s-maxage, else max-age) to beresp.ttl
    # and its stale-while-revalidate to beresp.grace. Surrogate-Control, the CDN's own TTL,
    # overrides both when it says so.
    if (beresp.http.Surrogate-Control ~ "(?i)(^|[\s,])max-age\s*=\s*[0-9]+") {
        set beresp.ttl = std.duration(regsub(beresp.http.Surrogate-Control,
            "(?i)^(?:.*[\s,])?max-age\s*=\s*([0-9]+).*$", "\1s"), 0s);
    }
    if (beresp.http.Surrogate-Control ~ "(?i)(^|[\s,])stale-while-revalidate\s*=\s*[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.Surrogate-Control,
            "(?i)^(?:.*[\s,])?stale-while-revalidate\s*=\s*([0-9]+).*$", "\1s"), 0s);
    }
    if (beresp.ttl <= 0s) {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }

    # Past TTL and grace, keep an object with an ETag a little longer for a conditional fetch:
    # Strata then answers 304 without sending the page again.
    if (beresp.http.ETag) {
        set beresp.keep = 10m;
    }
    return (deliver);
}

sub vcl_deliver {
    # Internal to this cache. Surrogate-Key stays: a CDN in front of Varnish may use it too.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Control;

    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    set resp.http.X-Cache-Hits = obj.hits;
}
