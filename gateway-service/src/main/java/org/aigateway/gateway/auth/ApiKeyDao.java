package org.aigateway.gateway.auth;

import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Storage of API keys by hash. */
@RegisterConstructorMapper(ApiKey.class)
public interface ApiKeyDao {
    String COLUMNS = "id, user_id, name, key_prefix AS prefix, is_admin AS admin, created_at, revoked_at";

    @SqlUpdate("INSERT INTO api_keys (id, user_id, name, key_hash, key_prefix, is_admin) "
            + "VALUES (:id, :userId, :name, :hash, :prefix, :admin)")
    void insert(@Bind("id") UUID id, @Bind("userId") String userId, @Bind("name") String name,
                @Bind("hash") String hash, @Bind("prefix") String prefix, @Bind("admin") boolean admin);

    @SqlQuery("SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = :hash AND revoked_at IS NULL")
    Optional<ApiKey> findActiveByHash(@Bind("hash") String hash);

    @SqlQuery("SELECT " + COLUMNS + " FROM api_keys WHERE (:userId IS NULL OR user_id = :userId) ORDER BY created_at, id")
    List<ApiKey> list(@Bind("userId") String userId);

    @SqlUpdate("UPDATE api_keys SET revoked_at = now() WHERE (id::text = :ref OR key_prefix = :ref) AND revoked_at IS NULL")
    int revoke(@Bind("ref") String idOrPrefix);
}
