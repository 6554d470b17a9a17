-- The HTTP ceiling: the same body as a status, to an endpoint that reads it and answers 204.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"device_id":"dev-1","timestamp":"2026-01-01T00:00:00Z","battery_level":80,"rssi":-60,"online":true}'
wrk.path = "/bench/noop"
