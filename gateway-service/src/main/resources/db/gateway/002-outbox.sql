--liquibase formatted sql

--changeset aigateway:gateway-2
-- txid orders rows by the transaction that wrote them: bigserial ids are handed out before commit, so a reader
-- following ids alone can pass a row whose transaction commits late and never come back for it.
CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    txid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id     uuid        NOT NULL UNIQUE,
    routing_key  text        NOT NULL,
    payload      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (txid, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
--rollback DROP TABLE outbox;
