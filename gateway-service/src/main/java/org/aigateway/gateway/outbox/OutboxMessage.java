package org.aigateway.gateway.outbox;

import java.util.UUID;

/**
 * An event waiting in the outbox: its position (writing transaction, row id), its event id (the AMQP message id),
 * where it goes, and its exact JSON bytes.
 */
public record OutboxMessage(long txid, long id, UUID eventId, String routingKey, String payload) {
    public static OutboxMessage unsaved(UUID eventId, String routingKey, String payload) {
        return new OutboxMessage(0, 0, eventId, routingKey, payload);
    }
}
