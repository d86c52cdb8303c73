package org.aigateway.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Issues, looks up and revokes API keys; the plaintext key exists only in the answer to {@link #create}. */
public class ApiKeys {
    static final String KEY_PREFIX = "sk-gw-";
    private static final int DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length() + 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A newly created key with its plaintext, to be shown once. */
    public record Issued(ApiKey key, String plaintext) {
    }

    private final ApiKeyDao dao;

    public ApiKeys(ApiKeyDao dao) {
        this.dao = dao;
    }

    public Issued create(String userId, String name, boolean admin) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String plaintext = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID id = UUID.randomUUID();
        String prefix = plaintext.substring(0, DISPLAY_PREFIX_LENGTH);
        dao.insert(id, userId, name, hash(plaintext), prefix, admin);
        return new Issued(new ApiKey(id, userId, name, prefix, admin, null, null), plaintext);
    }

    public Optional<ApiKey> findActive(String plaintext) {
        return dao.findActiveByHash(hash(plaintext));
    }

    public List<ApiKey> list(String userIdOrNull) {
        return dao.list(userIdOrNull);
    }

    /** Revokes by key id or display prefix; returns how many keys were revoked. */
    public int revoke(String idOrPrefix) {
        return dao.revoke(idOrPrefix);
    }

    static String hash(String plaintext) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plaintext.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
