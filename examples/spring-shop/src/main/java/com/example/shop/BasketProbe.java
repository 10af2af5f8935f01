package com.example.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.impl.clientside.HazelcastClientProxy;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * A command-line check of the basket's Compact form, used by the Rust tests
 * (examples/shop/tests/spring_basket.rs) to compare both sides through a real cluster:
 *
 * <pre>
 * java -cp spring-shop.jar -Dloader.main=com.example.shop.BasketProbe \
 *     org.springframework.boot.loader.launch.PropertiesLauncher \
 *     write|read MEMBERS CLUSTER MAP KEY
 * </pre>
 *
 * {@code write} puts {@link #sample()} under KEY and prints its Hazelcast {@code Data} bytes in
 * hex ({@code data=...}); {@code read} gets KEY and prints the value's class and the basket
 * ({@code class=...}, {@code basket=...}); it exits with 2 when the value is not a
 * {@link Basket}.
 */
public final class BasketProbe {

    private BasketProbe() {
    }

    /** The basket both sides write in the tests: two lines, prices 4.99 and 5.99. */
    public static Basket sample() {
        ProductDto teapot = Catalogue.product(1).orElseThrow();
        ProductDto lamp = Catalogue.product(2).orElseThrow();
        List<BasketItem> items = new ArrayList<>();
        items.add(new BasketItem(teapot, new BigDecimal("4.99"), 1));
        items.add(new BasketItem(lamp, new BigDecimal("5.99"), 2));
        return new Basket("user", items);
    }

    /** Runs the probe. */
    public static void main(String[] args) {
        if (args.length != 5 || !List.of("write", "read").contains(args[0])) {
            System.err.println("usage: write|read MEMBERS CLUSTER MAP KEY");
            System.exit(64);
        }
        ClientConfig config = new ClientConfig();
        config.setClusterName(args[2]);
        config.getNetworkConfig().setAddresses(Arrays.asList(args[1].split(",")));
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(20_000);
        HazelcastInstance client = HazelcastClient.newHazelcastClient(config);
        int status = 0;
        try {
            IMap<String, Object> map = client.getMap(args[3]);
            if (args[0].equals("write")) {
                Basket basket = sample();
                map.set(args[4], basket);
                byte[] bytes = ((HazelcastClientProxy) client).getSerializationService().toData(basket).toByteArray();
                System.out.println("data=" + HexFormat.of().formatHex(bytes));
            } else {
                Object value = map.get(args[4]);
                System.out.println("class=" + (value == null ? "null" : value.getClass().getName()));
                if (value instanceof Basket basket) {
                    System.out.println("basket=" + basket);
                    System.out.println("total=" + basket.total().toPlainString());
                } else {
                    status = 2;
                }
            }
        } finally {
            client.shutdown();
        }
        System.exit(status);
    }
}
