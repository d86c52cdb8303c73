package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The events a running gateway queued, wherever they are: still in its outbox, or on the broker's work queues once
 * the relay published them and deleted their rows. The outbox is read before the queues, so an event published in
 * between is found on a queue, never missed. What is taken off the queues is kept, so every read sees it again.
 */
final class PublishedEvents {
    /** One event and the routing key it was queued with. */
    record Event(String routingKey, JsonNode body) {
        String eventId() {
            return body.path("eventId").asText();
        }

        String historyId() {
            return body.path("metadata").path("historyId").asText();
        }
    }

    /** The events known at one moment, for {@link #since}. */
    record Mark(Set<String> eventIds) {
    }

    private static final ObjectMapper MAPPER = EventJson.newMapper();

    private final Jdbi gatewayDatabase;
    private final TestVhost gatewayVhost;
    private final List<Event> taken = new ArrayList<>();

    PublishedEvents(Jdbi gatewayDatabase, TestVhost gatewayVhost) {
        this.gatewayDatabase = gatewayDatabase;
        this.gatewayVhost = gatewayVhost;
    }

    /** Every event queued so far, each once, in no particular order. */
    synchronized List<Event> all() {
        Map<String, Event> byId = new LinkedHashMap<>();
        for (Map<String, Object> row : gatewayDatabase.withHandle(h -> h.createQuery(
                "SELECT routing_key, payload FROM outbox ORDER BY id").mapToMap().list())) {
            byte[] payload = ((String) row.get("payload")).getBytes(StandardCharsets.UTF_8);
            Event event = new Event((String) row.get("routing_key"), json(payload));
            byId.putIfAbsent(event.eventId(), event);
        }
        takeFromQueues();
        taken.forEach(event -> byId.putIfAbsent(event.eventId(), event));
        return List.copyOf(byId.values());
    }

    /** The events about one request. */
    List<JsonNode> about(Object historyId) {
        return all().stream().filter(e -> e.historyId().equals(historyId.toString())).map(Event::body).toList();
    }

    /** The event of one request with this name; fails unless there is exactly one. */
    JsonNode one(Object historyId, String eventName) {
        List<JsonNode> named = about(historyId).stream()
                .filter(e -> e.path("eventName").asText().equals(eventName)).toList();
        if (named.size() != 1) {
            throw new AssertionError(named.size() + " " + eventName + " events about request " + historyId);
        }
        return named.get(0);
    }

    Mark mark() {
        return new Mark(all().stream().map(Event::eventId).collect(Collectors.toSet()));
    }

    /** The events queued after the mark was taken. */
    List<Event> since(Mark mark) {
        return all().stream().filter(e -> !mark.eventIds().contains(e.eventId())).toList();
    }

    private void takeFromQueues() {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(gatewayVhost.uri());
            try (Connection connection = factory.newConnection("published-events");
                 Channel channel = connection.createChannel()) {
                Topology.declare(channel);
                for (String queue : Topology.WORK_QUEUES) {
                    GetResponse message;
                    while ((message = channel.basicGet(queue, true)) != null) {
                        taken.add(new Event(message.getEnvelope().getRoutingKey(), json(message.getBody())));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("could not read the gateway's queues", e);
        }
    }

    private static JsonNode json(byte[] payload) {
        try {
            return MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
