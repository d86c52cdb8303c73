package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plan PostgreSQL keeps for a statement when told to plan it once for any values, as the gateway's connections
 * are ({@code plan_cache_mode=force_generic_plan} in its configuration). A plan that is good for the values a test
 * binds may not be good for others; this one is what every call runs.
 */
public final class GenericPlans {
    /** A named parameter; not the second colon of a {@code ::type} cast. */
    private static final Pattern PARAMETER = Pattern.compile("(?<![:\\w]):(\\w+)");

    private GenericPlans() {
    }

    /**
     * @param sql            the statement with JDBI's {@code :name} parameters
     * @param parameterTypes each parameter's type, in the order of the parameters' first appearance
     * @param arguments      values to explain it with; they do not change a generic plan
     * @return the plan's top node, as {@code EXPLAIN (FORMAT JSON)} gives it
     */
    public static JsonNode of(Jdbi jdbi, String sql, List<String> parameterTypes, List<String> arguments) {
        List<String> names = new ArrayList<>();
        Matcher parameter = PARAMETER.matcher(sql);
        StringBuilder numbered = new StringBuilder();
        while (parameter.find()) {
            if (!names.contains(parameter.group(1))) {
                names.add(parameter.group(1));
            }
            parameter.appendReplacement(numbered, "\\$" + (names.indexOf(parameter.group(1)) + 1));
        }
        parameter.appendTail(numbered);
        if (names.size() != parameterTypes.size() || names.size() != arguments.size()) {
            throw new IllegalArgumentException("the statement has parameters " + names);
        }
        String plan = jdbi.withHandle(handle -> {
            handle.execute("SET plan_cache_mode = force_generic_plan");
            handle.execute("PREPARE planned (" + String.join(", ", parameterTypes) + ") AS " + numbered);
            try {
                return handle.createQuery("EXPLAIN (FORMAT JSON) EXECUTE planned (" + String.join(", ", arguments)
                        + ")").mapTo(String.class).one();
            } finally {
                handle.execute("DEALLOCATE planned");
                handle.execute("RESET plan_cache_mode");
            }
        });
        try {
            return new ObjectMapper().readTree(plan).get(0).get("Plan");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every node type in the plan, the top one first. */
    public static List<String> nodeTypes(JsonNode node) {
        List<String> types = new ArrayList<>();
        types.add(node.get("Node Type").asText());
        node.path("Plans").forEach(child -> types.addAll(nodeTypes(child)));
        return types;
    }

    /** Every index the plan reads, in plan order. */
    public static List<String> indexesUsed(JsonNode node) {
        List<String> indexes = new ArrayList<>();
        if (node.has("Index Name")) {
            indexes.add(node.get("Index Name").asText());
        }
        node.path("Plans").forEach(child -> indexes.addAll(indexesUsed(child)));
        return indexes;
    }
}
