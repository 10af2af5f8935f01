package com.example.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The basket, kept in the session attribute {@code basket}. The record is deliberately not
 * {@code Serializable}: Hazelcast then stores it as Compact (type {@code com.example.shop.Basket}),
 * which the Rust shop reads and writes too.
 *
 * <p>{@code items} is always a plain {@link ArrayList} (the canonical constructor copies what
 * it is given, and turns null into an empty list): Hazelcast's zero-config Compact serializer
 * reads a {@code List} field back as an {@code ArrayList}, so a basket holds the same kind of
 * list whether it was just built or read from the session, and no immutable JDK collection
 * ({@code List.of()}, {@code Stream.toList()}) is ever handed to the serializer.
 */
public record Basket(String principalName, List<BasketItem> items) {

    /** Copies {@code items} into a plain {@link ArrayList} (null: empty). */
    public Basket {
        items = items == null ? new ArrayList<>() : new ArrayList<>(items);
    }

    /** Most units of one product in a basket (as in the Rust shop). */
    public static final int MAX_QUANTITY = 99;

    /** An empty basket of {@code principalName} (may be null). */
    public static Basket empty(String principalName) {
        return new Basket(principalName, new ArrayList<>());
    }

    /** A new basket with one more unit of {@code product} at its list price. */
    public Basket add(ProductDto product) {
        List<BasketItem> next = new ArrayList<>();
        boolean found = false;
        for (BasketItem item : items) {
            if (item.product().id() == product.id()) {
                next.add(new BasketItem(item.product(), item.orderPrice(),
                        Math.min(item.quantity() + 1, MAX_QUANTITY)));
                found = true;
            } else {
                next.add(item);
            }
        }
        if (!found) {
            next.add(new BasketItem(product, product.listPrice(), 1));
        }
        return new Basket(principalName, next);
    }

    /** The same items for another principal. */
    public Basket withPrincipal(String name) {
        return new Basket(name, items);
    }

    /** The lines (never null). */
    public List<BasketItem> lines() {
        return items;
    }

    /** Number of units. */
    public long units() {
        return lines().stream().mapToLong(BasketItem::quantity).sum();
    }

    /** Total price. */
    public BigDecimal total() {
        return lines().stream().map(BasketItem::total).reduce(BigDecimal.ZERO, BigDecimal::add);
    }
}
