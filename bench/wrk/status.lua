-- POST /status for 10,000 devices in turn, each stamped with the current second as a device would stamp it
-- (so the writes land in the open hour, as live traffic does, and not in sealed hours as a backfill would).
local n = 0
local second, stamp = -1, ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY")
request = function()
  n = n + 1
  local now = os.time()
  if now ~= second then second, stamp = now, os.date("!%Y-%m-%dT%H:%M:%SZ", now) end
  local body = string.format('{"device_id":"dev-%d","timestamp":"%s","battery_level":%d,"rssi":-60,"online":true}',
    n % 10000, stamp, n % 101)
  return wrk.format(nil, "/status", nil, body)
end
