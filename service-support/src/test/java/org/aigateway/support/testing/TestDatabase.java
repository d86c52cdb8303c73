package org.aigateway.support.testing;

import liquibase.Liquibase;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A PostgreSQL database of its own for one test class, on the real server, dropped when closed (or at JVM exit).
 * The server is {@code TEST_PG_URL} (default the local one); names start with {@code aigw_test_}.
 */
public final class TestDatabase implements AutoCloseable {
    private static final String ADMIN_URL = env("TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
    private static final String USER = env("TEST_PG_USER", "postgres");
    private static final String PASSWORD = env("TEST_PG_PASSWORD", "");

    private final String name;
    private volatile boolean dropped;

    private TestDatabase(String name) {
        this.name = name;
    }

    public static TestDatabase create(String prefix) {
        String name = "aigw_test_" + prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        admin("CREATE DATABASE " + name);
        TestDatabase db = new TestDatabase(name);
        Runtime.getRuntime().addShutdownHook(new Thread(db::close));
        return db;
    }

    /** Creates the database and applies the service's Liquibase changelog from the classpath. */
    public static TestDatabase migrated(String prefix, String changelog) {
        TestDatabase db = create(prefix);
        db.migrate(changelog);
        return db;
    }

    public void migrate(String changelog) {
        try (Connection connection = connect()) {
            new Liquibase(changelog, new ClassLoaderResourceAccessor(), new JdbcConnection(connection)).update("");
        } catch (Exception e) {
            throw new IllegalStateException("migrating " + name + " failed", e);
        }
    }

    public String name() {
        return name;
    }

    public String url() {
        return ADMIN_URL.substring(0, ADMIN_URL.lastIndexOf('/') + 1) + name;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, PASSWORD);
    }

    /** Every money column as {@code table.column numeric(p,s)}. */
    public List<String> moneyColumns() {
        return strings("SELECT table_name || '.' || column_name || ' ' || data_type || '(' || numeric_precision || ','"
                + " || numeric_scale || ')' FROM information_schema.columns"
                + " WHERE table_schema = 'public' AND column_name IN ('cost', 'total_cost')");
    }

    /** Every column of a floating-point type, as {@code table.column}; money must never be one. */
    public List<String> floatingPointColumns() {
        return strings("SELECT table_name || '.' || column_name FROM information_schema.columns"
                + " WHERE table_schema = 'public' AND data_type IN ('real', 'double precision')");
    }

    private List<String> strings(String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    @Override
    public void close() {
        if (!dropped) {
            dropped = true;
            admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    private static void admin(String sql) {
        try (Connection connection = DriverManager.getConnection(ADMIN_URL, USER, PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + ADMIN_URL + " refused: " + sql, e);
        }
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
