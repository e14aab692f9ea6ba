vcl 4.1;
import std;

# Default backend definition.
backend default {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 5s;
    .probe = {
        .url = "/healthz";
        .interval = 5s;
        .threshold = 3;
    }
}

backend api {
    .host = "api.internal";
    .port = "9000";
}

acl purgers {
    "localhost";
    "10.0.0.0"/8;
    "192.168.1.1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (!client.ip ~ purgers) {
            return (synth(405, "Not allowed"));
        }
        return (purge);
    }
    set req.backend_hint = default;
    set req.http.X-Forwarded-Proto = "https";
    unset req.http.Cookie;
}

sub vcl_backend_response {
    set beresp.ttl = 120s;
    set beresp.grace = 1h;
}

table redirects {
    "/old": "/new",
    "/legacy": "/modern",
}
