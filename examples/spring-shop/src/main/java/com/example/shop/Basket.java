package com.example.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The basket, kept in the session attribute {@code basket}. The record is deliberately not
 * {@code Serializable}: Hazelcast then stores it as Compact (type {@code com.example.shop.Basket}),
 * which the Rust shop reads and writes too.
 */
public record Basket(String principalName, List<BasketItem> items) {

    /** Most units of one product in a basket (as in the Rust shop). */
    public static final int MAX_QUANTITY = 99;

    /** An empty basket of {@code principalName} (may be null). */
    public static Basket empty(String principalName) {
        return new Basket(principalName, List.of());
    }

    /** A new basket with one more unit of {@code product} at its list price. */
    public Basket add(ProductDto product) {
        List<BasketItem> next = new ArrayList<>();
        boolean found = false;
        for (BasketItem item : items == null ? List.<BasketItem>of() : items) {
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

    /** The lines, never null. */
    public List<BasketItem> lines() {
        return items == null ? List.of() : items;
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
