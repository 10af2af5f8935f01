package com.example.shop;

import java.math.BigDecimal;

/**
 * One basket line, priced when it was added. Compact type {@code com.example.shop.BasketItem}:
 * {@code product} COMPACT, {@code orderPrice} DECIMAL, {@code quantity} INT32.
 */
public record BasketItem(ProductDto product, BigDecimal orderPrice, int quantity) {

    /** The line's total. */
    public BigDecimal total() {
        return orderPrice.multiply(BigDecimal.valueOf(quantity));
    }
}
