-- Login as a random seeded user (all share bench/seed.ts's SEED_PASSWORD; each login verifies argon2id).
math.randomseed(os.time())
request = function()
  local id = math.random(1, 10000)
  local body = string.format('{"email":"user%d@example.com","password":"bench-password-123"}', id)
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
