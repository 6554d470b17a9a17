-- POST heartbeats for the 10,000 devices of the devices file, keyless as the original simulator sends them.
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = string.format('{"sent_at":"2026-01-01T%02d:%02d:00Z"}', math.floor(n / 60) % 24, n % 60)
  return wrk.format(nil, string.format("/api/v1/devices/dev-%d/heartbeat", n % 10000), nil, body)
end
