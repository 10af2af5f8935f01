package com.example.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The Rust shop's catalogue (examples/shop/src/catalogue.rs): 60 products, fixed prices. */
public final class Catalogue {

    private static final String[] ADJECTIVES = {"Red", "Blue", "Green", "Golden", "Silver", "Black"};
    private static final String[] THINGS = {
        "Teapot", "Lamp", "Notebook", "Backpack", "Umbrella", "Mug", "Scarf", "Clock", "Kite", "Chair"};

    /** How many products the shop sells. */
    public static final int PRODUCT_COUNT = 60;

    private Catalogue() {
    }

    /** The product with this id. */
    public static Optional<ProductDto> product(long id) {
        if (id < 1 || id > PRODUCT_COUNT) {
            return Optional.empty();
        }
        int index = (int) id - 1;
        String adjective = ADJECTIVES[index / THINGS.length % ADJECTIVES.length];
        String thing = THINGS[index % THINGS.length];
        // 4.99 to 63.99, as in the Rust shop.
        BigDecimal price = BigDecimal.valueOf(499L + (id - 1) * 100L, 2);
        return Optional.of(new ProductDto(id, adjective + " " + thing, price));
    }

    /** Every product, by id. */
    public static List<ProductDto> all() {
        List<ProductDto> all = new ArrayList<>();
        for (long id = 1; id <= PRODUCT_COUNT; id++) {
            product(id).ifPresent(all::add);
        }
        return all;
    }

    /** Parses {@code 1,2,3}; empty if an entry is not a product or there are more than 50. */
    public static Optional<List<ProductDto>> parseItems(String items) {
        if (items == null) {
            return Optional.empty();
        }
        List<ProductDto> products = new ArrayList<>();
        for (String part : items.split(",", -1)) {
            if (products.size() >= 50) {
                return Optional.empty();
            }
            long id;
            try {
                id = Long.parseLong(part.trim());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            Optional<ProductDto> p = product(id);
            if (p.isEmpty()) {
                return Optional.empty();
            }
            products.add(p.get());
        }
        return Optional.of(products);
    }
}
