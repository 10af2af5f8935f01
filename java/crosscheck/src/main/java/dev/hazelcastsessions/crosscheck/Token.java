package dev.hazelcastsessions.crosscheck;

import java.io.Serializable;

/**
 * A value only Java serialization can write (Hazelcast type id -2), standing in for what a
 * Spring application keeps in its sessions (a security context, say): another client must
 * carry its bytes unchanged.
 */
public final class Token implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String text;

    public Token(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
