package org.aigateway.analytics.consumer;

import com.rabbitmq.client.AMQP;

/** A delivery as the broker handed it over, tagged with the subscription (channel) it arrived on. */
record ReceivedMessage(Subscription subscription, long deliveryTag, AMQP.BasicProperties properties, byte[] body) {
}
