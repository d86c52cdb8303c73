-- wrk script for `make bench`. With WRK_BODY_FILE set every request is a JSON POST of that file's contents
-- (headers come from wrk's -H options); without it, a GET. At the end it prints the run's figures as
-- WRK_RESULT_PREFIX.key=value lines, which scripts/bench/run.sh collects.
local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  local file = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  wrk.headers["Content-Type"] = "application/json"
  file:close()
end

function done(summary, latency, requests)
  local prefix = os.getenv("WRK_RESULT_PREFIX") or "wrk"
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local lines = {
    string.format("%s.requests=%d", prefix, summary.requests),
    string.format("%s.seconds=%.3f", prefix, seconds),
    string.format("%s.rps=%.1f", prefix, summary.requests / seconds),
    string.format("%s.p50_ms=%.3f", prefix, latency:percentile(50) / 1000),
    string.format("%s.p90_ms=%.3f", prefix, latency:percentile(90) / 1000),
    string.format("%s.p99_ms=%.3f", prefix, latency:percentile(99) / 1000),
    string.format("%s.max_ms=%.3f", prefix, latency.max / 1000),
    string.format("%s.errors=%d", prefix, e.connect + e.read + e.write + e.timeout),
    string.format("%s.non2xx=%d", prefix, e.status),
  }
  io.write(table.concat(lines, "\n") .. "\n")
end
