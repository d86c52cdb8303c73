package org.aigateway.analytics.consumer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import org.aigateway.analytics.IsoInstants;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.contracts.UsageEvent;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;

/** Turns a message body into an event fit to store, or rejects it with a dead-letter reason. */
// Everything that would fail the batch transaction because of this one message is checked here, so that a poison
// message never fails a batch.
public class EventParser {
    /** The cost columns are numeric(24,12). */
    private static final int COST_SCALE = 12;
    private static final int COST_INTEGER_DIGITS = 12;
    private static final byte[] ESCAPED_NUL = {'\\', 'u', '0', '0', '0', '0'};

    private final ObjectMapper mapper;
    private final long maxBytes;

    /** @param maxBytes larger messages are rejected unread */
    public EventParser(ObjectMapper mapper, long maxBytes) {
        this.mapper = strict(mapper);
        this.maxBytes = maxBytes;
    }

    /**
     * The publisher writes every field with its own JSON type; a token count of 1.5 or "12", or a user id of 42,
     * comes from something else and would be stored as something it is not (Jackson would truncate or convert it).
     */
    private static ObjectMapper strict(ObjectMapper mapper) {
        ObjectMapper strict = mapper.copy();
        strict.coercionConfigFor(LogicalType.Integer)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Float)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        strict.registerModule(new SimpleModule("canonical-instants").addDeserializer(Instant.class,
                new CanonicalInstantDeserializer()));
        return strict;
    }

    /**
     * Reads the timestamps the gateway writes ({@link Instant#toString()}) directly, and anything else the way
     * Jackson's own deserializer does, with its errors.
     */
    private static final class CanonicalInstantDeserializer extends StdScalarDeserializer<Instant> {
        CanonicalInstantDeserializer() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.hasToken(JsonToken.VALUE_STRING)) {
                Instant instant = IsoInstants.parseCanonical(parser.getText());
                if (instant != null) {
                    return instant;
                }
            }
            return InstantDeserializer.INSTANT.deserialize(parser, context);
        }
    }

    public IncomingEvent parse(byte[] body) throws InvalidEventException {
        if (body.length > maxBytes) {
            throw new InvalidEventException("message of " + body.length + " bytes is over the limit of " + maxBytes);
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(body);
        } catch (IOException e) {
            throw new InvalidEventException("body is not JSON: " + originalMessage(e));
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidEventException("body is not a JSON object");
        }
        UsageEvent event;
        try {
            event = mapper.treeToValue(tree, UsageEvent.class);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("body is not a usage event: " + originalMessage(e));
        }
        if (!tree.hasNonNull("schemaVersion")) {
            throw new InvalidEventException("schemaVersion is missing");
        }
        // A number would be read as seconds since the epoch; the publisher always writes ISO-8601.
        require(!tree.hasNonNull("timestamp") || tree.get("timestamp").isTextual(),
                "timestamp is not an ISO-8601 string");
        validate(event);
        // PostgreSQL text and jsonb cannot hold NUL; the insert would fail on every attempt.
        require(!containsEscapedNul(body), "body contains \\u0000, which PostgreSQL cannot store");
        return new IncomingEvent(event, objectOrEmpty(tree.get("properties"), "properties"),
                objectOrEmpty(tree.get("metadata"), "metadata"));
    }

    /** Whether the JSON text holds the escape of NUL (backslash, u, 0000): ASCII bytes, found without decoding. */
    static boolean containsEscapedNul(byte[] body) {
        outer:
        for (int i = 0; i <= body.length - ESCAPED_NUL.length; i++) {
            if (body[i] != '\\') {
                continue;
            }
            for (int j = 1; j < ESCAPED_NUL.length; j++) {
                if (body[i + j] != ESCAPED_NUL[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void validate(UsageEvent event) throws InvalidEventException {
        if (event.schemaVersion() < 1 || event.schemaVersion() > UsageEvent.SCHEMA_VERSION) {
            throw new InvalidEventException("unsupported schemaVersion " + event.schemaVersion()
                    + " (this consumer reads up to " + UsageEvent.SCHEMA_VERSION + ")");
        }
        require(event.eventId() != null, "eventId is missing");
        require(event.userId() != null && !event.userId().isBlank(), "userId is missing");
        require(event.eventType() != null && !event.eventType().isBlank(), "eventType is missing");
        require(event.timestamp() != null, "timestamp is missing");
        UsageEvent.Properties p = event.properties();
        if (p == null) {
            return;
        }
        notNegative(p.promptTokens(), "promptTokens");
        notNegative(p.completionTokens(), "completionTokens");
        notNegative(p.cachedTokens(), "cachedTokens");
        notNegative(p.tokensUsed(), "tokensUsed");
        notNegative(p.responseTime(), "responseTime");
        notNegative(p.upstreamTime(), "upstreamTime");
        notNegative(p.gatewayOverhead(), "gatewayOverhead");
        notNegative(p.timeToFirstToken(), "timeToFirstToken");
        if (p.promptTokens() != null && p.completionTokens() != null
                && p.promptTokens() > Long.MAX_VALUE - p.completionTokens()) {
            throw new InvalidEventException("properties.promptTokens + completionTokens overflow");
        }
        BigDecimal cost = p.cost();
        if (cost != null) {
            require(cost.signum() >= 0, "properties.cost is negative");
            BigDecimal exact = cost.stripTrailingZeros();
            require(exact.scale() <= COST_SCALE, "properties.cost has more than " + COST_SCALE + " decimals");
            require(exact.precision() - exact.scale() <= COST_INTEGER_DIGITS, "properties.cost is too large");
        }
    }

    private static void notNegative(Long value, String field) throws InvalidEventException {
        require(value == null || value >= 0, "properties." + field + " is negative");
    }

    private static void require(boolean condition, String reason) throws InvalidEventException {
        if (!condition) {
            throw new InvalidEventException(reason);
        }
    }

    private static JsonNode objectOrEmpty(JsonNode node, String field) throws InvalidEventException {
        if (node == null || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        require(node.isObject(), field + " is not a JSON object");
        return node;
    }

    private static String originalMessage(Exception e) {
        String message = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }
}
