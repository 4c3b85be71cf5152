"""NATS JetStream: connection, stream declarations, durable pull workers."""
