// The origin client is its own module (the load tool uses it without the edge); the edge's public API
// speaks its types (`HTTPEndpoint`, `HTTP1Client`), so users of the edge get them with it.
@_exported import UpstreamHTTP
