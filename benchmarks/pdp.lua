-- Product detail pages of the demo tenants, alternating storefronts, product slugs uniform over 1..300.
local domains = { "alpine-outfitters.test", "harbor-coffee.test" }
local counter = 0
math.randomseed(42)

request = function()
  counter = counter + 1
  local host = domains[(counter % #domains) + 1]
  local path = "/products/product-" .. math.random(1, 300)
  return wrk.format("GET", path, { ["Host"] = host })
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d, errors: %d, non-2xx: %d\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
  for _, p in ipairs({ 50, 95, 99 }) do
    io.write(string.format("latency p%d: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
