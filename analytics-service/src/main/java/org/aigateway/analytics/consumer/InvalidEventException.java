package org.aigateway.analytics.consumer;

/** A message that can never be stored as it is; its message is the dead-letter reason. */
public class InvalidEventException extends Exception {
    public InvalidEventException(String reason) {
        super(reason, null, false, false);
    }
}
