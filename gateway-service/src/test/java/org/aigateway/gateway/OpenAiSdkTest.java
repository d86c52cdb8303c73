package org.aigateway.gateway;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** The official OpenAI Java SDK, pointed at a running gateway, works as it does against OpenAI. */
@ExtendWith(DropwizardExtensionsSupport.class)
class OpenAiSdkTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-streaming.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri));

    private static final String REPLY = "This is a mock reply to: Hello there";

    private static OpenAIClient sdk;

    @BeforeAll
    static void connect() {
        String key = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("sdk-user", null, false).plaintext();
        sdk = client(key);
    }

    @Test
    void plainCompletion() {
        ChatCompletion completion = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("mock-1")
                .addUserMessage("Hello there")
                .build());

        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).hasValue(REPLY);
        assertThat(completion.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.promptTokens()).isEqualTo(9);
            assertThat(usage.completionTokens()).isEqualTo(9);
            assertThat(usage.totalTokens()).isEqualTo(18);
        });
        assertThat(historyRows("success", false)).isEqualTo(1);
    }

    @Test
    void streamWithUsage() {
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder()
                        .model("mock-1")
                        .addUserMessage("Hello there")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build())) {
            chunks = stream.stream().toList();
        }

        String content = chunks.stream().flatMap(chunk -> chunk.choices().stream())
                .map(choice -> choice.delta().content().orElse(""))
                .collect(Collectors.joining());
        assertThat(content).isEqualTo(REPLY);
        CompletionUsage usage = chunks.get(chunks.size() - 1).usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(9);
        assertThat(usage.completionTokens()).isEqualTo(9);
        assertThat(usage.totalTokens()).isEqualTo(18);
        await().atMost(Duration.ofSeconds(10)).until(() -> historyRows("success", true) == 1);
    }

    @Test
    void modelsList() {
        List<String> ids = sdk.models().list().data().stream().map(Model::id).toList();

        assertThat(ids).contains("mock-1", "slow-1", "remote-1");
    }

    @Test
    void authenticationError() {
        OpenAIClient stranger = client("sk-gw-not-a-real-key");

        UnauthorizedException error = catchThrowableOfType(UnauthorizedException.class, () -> stranger.chat()
                .completions().create(ChatCompletionCreateParams.builder()
                        .model("mock-1").addUserMessage("Hello there").build()));

        assertThat(error).isNotNull();
        assertThat(error.statusCode()).isEqualTo(401);
        assertThat(error.getMessage()).contains("API key");
    }

    private static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder()
                .apiKey(key)
                .baseUrl("http://127.0.0.1:" + APP.getLocalPort() + "/v1")
                .maxRetries(0)
                .build();
    }

    private static long historyRows(String status, boolean stream) {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT count(*) FROM request_history WHERE user_id = 'sdk-user' AND status = :status "
                                + "AND stream = :stream")
                .bind("status", status).bind("stream", stream).mapTo(Long.class).one());
    }
}
