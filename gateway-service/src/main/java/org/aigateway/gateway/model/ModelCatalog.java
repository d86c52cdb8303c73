package org.aigateway.gateway.model;

import org.aigateway.gateway.provider.ChatProvider;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The models clients may ask for, each resolved to its provider instance, upstream name and pricing. */
public class ModelCatalog {
    /** A configured model ready to be called. */
    public record Model(String name, String providerName, ChatProvider provider, String upstreamModel, Pricing pricing) {
    }

    private final Map<String, Model> models = new LinkedHashMap<>();

    public ModelCatalog(Map<String, ModelRoute> routes, Map<String, ChatProvider> providers) {
        routes.forEach((name, route) -> {
            ChatProvider provider = providers.get(route.getProvider());
            if (provider == null) {
                throw new IllegalArgumentException("model " + name + " names unknown provider " + route.getProvider());
            }
            String upstream = route.getUpstreamModel() == null ? name : route.getUpstreamModel();
            models.put(name, new Model(name, route.getProvider(), provider, upstream, route.getPricing()));
        });
    }

    public Optional<Model> find(String name) {
        return Optional.ofNullable(models.get(name));
    }

    public Collection<Model> all() {
        return models.values();
    }
}
