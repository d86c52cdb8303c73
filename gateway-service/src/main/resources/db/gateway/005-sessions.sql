--liquibase formatted sql

--changeset aigateway:gateway-5
-- Keyset pagination of the sessions list, newest first: one user's on (started_at, session_id), an admin's across
-- all users on (started_at, user_id, session_id).
DROP INDEX session_history_user_started_idx;
CREATE INDEX session_history_user_started_idx ON session_history (user_id, started_at DESC, session_id DESC);
CREATE INDEX session_history_started_idx ON session_history (started_at DESC, user_id DESC, session_id DESC);
-- A session is ended exactly when it has an end; reopening it clears both.
ALTER TABLE session_history ADD CONSTRAINT session_history_end_check
    CHECK ((status = 'ended') = (ended_at IS NOT NULL) AND (duration_ms IS NULL OR duration_ms >= 0));
--rollback ALTER TABLE session_history DROP CONSTRAINT session_history_end_check;
--rollback DROP INDEX session_history_started_idx;
--rollback DROP INDEX session_history_user_started_idx;
--rollback CREATE INDEX session_history_user_started_idx ON session_history (user_id, started_at DESC);
