-- GET /status/{id} over 100,000 devices.
local n = 0
wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY")
request = function()
  n = n + 7919
  return wrk.format("GET", string.format("/status/dev-%d", n % 100000))
end
