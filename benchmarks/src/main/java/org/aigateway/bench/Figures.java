package org.aigateway.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The figures one measuring command found, printed as {@code prefix.key=value} lines for the results file. */
public final class Figures {
    private final String prefix;
    private final Map<String, String> values = new LinkedHashMap<>();

    public Figures(String prefix) {
        this.prefix = prefix;
    }

    public Figures put(String key, Object value) {
        values.put(prefix + "." + key, String.valueOf(value));
        return this;
    }

    public void print() {
        values.forEach((key, value) -> System.out.println(key + "=" + value.replace('\n', ' ')));
        System.out.flush();
    }
}
