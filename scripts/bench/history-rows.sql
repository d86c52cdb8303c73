-- Bulk-loads request_history rows :first..:last (of :rows in all) for `make bench`: finished chat completions spread
-- round-robin over :users users named history-user-<n>, one every 250 ms up to now, with small realistic request and
-- response JSON; one in forty is an upstream error, one in three belongs to a session.
INSERT INTO request_history (id, user_id, session_id, provider, model, upstream_model, request_type, stream, status,
                             request_data, response_data, error_message, upstream_status, http_status, prompt_tokens,
                             completion_tokens, total_tokens, cached_tokens, cost, response_time_ms, created_at,
                             completed_at)
SELECT gen_random_uuid(),
       'history-user-' || (g % :users),
       CASE WHEN g % 3 = 0 THEN 'session-' || (g % :users) || '-' || (g / 30000) END,
       'openai', r.model, r.model, 'chat.completion', false,
       CASE WHEN r.failed THEN 'error' ELSE 'success' END,
       ('{"model":"' || r.model || '","messages":[{"role":"system","content":"You are a helpful assistant."},'
           || '{"role":"user","content":"Summarise ticket #' || g || ' in two sentences."}],"max_tokens":256}')::jsonb,
       CASE WHEN NOT r.failed THEN
           ('{"id":"chatcmpl-' || md5(g::text) || '","object":"chat.completion","created":'
               || extract(epoch FROM r.created_at)::bigint || ',"model":"' || r.model || '","choices":[{"index":0,'
               || '"message":{"role":"assistant","content":"Ticket #' || g || ' reports a failed payment; the customer '
               || 'was refunded."},"finish_reason":"stop"}],"usage":{"prompt_tokens":' || r.prompt
               || ',"completion_tokens":' || r.completion || ',"total_tokens":' || (r.prompt + r.completion) || '}}')::jsonb
       END,
       CASE WHEN r.failed THEN 'The server had an error while processing your request.' END,
       CASE WHEN r.failed THEN 500 ELSE 200 END,
       CASE WHEN r.failed THEN 500 ELSE 200 END,
       CASE WHEN r.failed THEN 0 ELSE r.prompt END,
       CASE WHEN r.failed THEN 0 ELSE r.completion END,
       CASE WHEN r.failed THEN 0 ELSE r.prompt + r.completion END,
       0,
       CASE WHEN r.failed THEN 0 ELSE (r.prompt * 0.15 + r.completion * 0.60) / 1000000 END,
       200 + g % 1800,
       r.created_at,
       r.created_at + (200 + g % 1800) * interval '1 millisecond'
FROM generate_series(:first, :last) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'])[1 + g % 3] AS model,
                           g % 40 = 0 AS failed,
                           30 + g % 400 AS prompt,
                           10 + g % 300 AS completion,
                           now() - (:rows - g) * interval '250 milliseconds' AS created_at) AS r;
