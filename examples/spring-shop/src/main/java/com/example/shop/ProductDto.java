package com.example.shop;

import java.math.BigDecimal;

/**
 * A product as kept in the basket. Hazelcast serializes this record as Compact with the
 * type name {@code com.example.shop.ProductDto}: {@code id} INT64, {@code name} STRING,
 * {@code listPrice} DECIMAL.
 */
public record ProductDto(long id, String name, BigDecimal listPrice) {
}
