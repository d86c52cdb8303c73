package org.aigateway.gateway.model;

import io.dropwizard.auth.Auth;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.support.errors.ApiException;

import java.time.Instant;

/** The models this gateway serves, in OpenAI's format, so SDKs and tools can discover them; any valid key may ask. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private static final int MAX_ECHOED_ID = 64;

    private final ModelCatalog catalog;
    // Models come from configuration, so they exist from the moment the service started.
    private final long created;

    public ModelsResource(ModelCatalog catalog, Instant started) {
        this.catalog = catalog;
        this.created = started.getEpochSecond();
    }

    @GET
    public ModelList list(@Auth Caller caller) {
        return new ModelList(catalog.all().stream().map(this::describe).toList());
    }

    // Model names may contain slashes (OpenRouter's "vendor/model"), so the id takes the rest of the path.
    @GET
    @Path("/{id: .+}")
    public ModelInfo get(@Auth Caller caller, @PathParam("id") String id) {
        return catalog.find(id).map(this::describe).orElseThrow(() -> new ApiException(404,
                "The model '" + printable(id) + "' does not exist or you do not have access to it.",
                "invalid_request_error", "model", "model_not_found"));
    }

    private ModelInfo describe(ModelCatalog.Model model) {
        return new ModelInfo(model.name(), ModelInfo.OBJECT, created, model.providerName());
    }

    private static String printable(String id) {
        String safe = id.replaceAll("[^A-Za-z0-9._:/-]", "?");
        return safe.length() > MAX_ECHOED_ID ? safe.substring(0, MAX_ECHOED_ID) + "…" : safe;
    }
}
