package org.aigateway.gateway;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Random (version 4) UUIDs from a strong generator per thread. {@link UUID#randomUUID()} draws from one generator
 * shared by the whole JVM behind a lock, which every request thread would queue on for its history and event ids.
 */
public final class RandomUuids {
    private static final ThreadLocal<SecureRandom> GENERATOR = ThreadLocal.withInitial(RandomUuids::newGenerator);

    private RandomUuids() {
    }

    public static UUID next() {
        byte[] bytes = new byte[16];
        GENERATOR.get().nextBytes(bytes);
        bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x40);
        bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80);
        long most = 0;
        long least = 0;
        for (int i = 0; i < 8; i++) {
            most = (most << 8) | (bytes[i] & 0xff);
            least = (least << 8) | (bytes[i + 8] & 0xff);
        }
        return new UUID(most, least);
    }

    private static SecureRandom newGenerator() {
        try {
            // A deterministic generator seeded once from the system's entropy; no lock shared with other threads.
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }
}
