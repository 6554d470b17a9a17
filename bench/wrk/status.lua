-- POST /status for 10,000 devices in turn, each status a second later than the last.
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY")
request = function()
  n = n + 1
  local body = string.format('{"device_id":"dev-%d","timestamp":"2026-01-01T%02d:%02d:%02dZ","battery_level":%d,"rssi":-60,"online":true}',
    n % 10000, math.floor(n / 3600) % 24, math.floor(n / 60) % 60, n % 60, n % 101)
  return wrk.format(nil, "/status", nil, body)
end
