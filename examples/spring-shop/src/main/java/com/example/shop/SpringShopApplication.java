package com.example.shop;

import java.util.Arrays;
import java.util.List;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spring.session.HazelcastIndexedSessionRepository;
import com.hazelcast.spring.session.HazelcastSessionConfiguration;
import com.hazelcast.spring.session.config.annotation.SpringSessionHazelcastInstance;
import com.hazelcast.spring.session.config.annotation.web.http.EnableHazelcastHttpSession;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.session.config.SessionRepositoryCustomizer;

/**
 * The Spring shop. Sessions live in the Hazelcast map the Rust shop uses
 * ({@code spring:session:sessions} unless {@code HZ_MAP_NAME} says otherwise), reached through
 * a Hazelcast client (not an embedded member) at {@code HZ_MEMBERS} / {@code HZ_CLUSTER_NAME}.
 *
 * <p>The map's configuration (the principal-name index, backups, max idle) is left to whoever
 * configured it first — the Rust shop applies it at start-up — so HSS's own map
 * auto-configuration is switched off: two different dynamic configurations of one map are
 * refused by the cluster.
 */
@SpringBootApplication
@EnableHazelcastHttpSession(disableSessionMapAutoconfiguration = true)
public class SpringShopApplication {

    /** Starts the shop. */
    public static void main(String[] args) {
        SpringApplication.run(SpringShopApplication.class, args);
    }

    /** The Hazelcast client the sessions are kept through. */
    @Bean(destroyMethod = "shutdown")
    @SpringSessionHazelcastInstance
    HazelcastInstance hazelcastClient(
            @Value("${shop.hazelcast.members}") String members,
            @Value("${shop.hazelcast.cluster-name}") String clusterName) {
        ClientConfig config = new ClientConfig();
        config.setClusterName(clusterName);
        config.setInstanceName("spring-shop");
        List<String> addresses = Arrays.stream(members.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
        config.getNetworkConfig().setAddresses(addresses);
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(30_000);
        // BackingMapSession and AttributeValue as HSS writes them (Compact).
        HazelcastSessionConfiguration.applySerializationConfig(config);
        return HazelcastClient.newHazelcastClient(config);
    }

    /**
     * The session map's name; and HSS's entry processor is not used, because the members
     * run without HSS's classes (they need no Java code from the Rust side either): saves
     * take HSS's lock/get/set path instead.
     */
    @Bean
    SessionRepositoryCustomizer<HazelcastIndexedSessionRepository> sessionMap(
            @Value("${shop.session-map}") String mapName) {
        return repository -> repository.setSessionMapName(mapName).setDeployedOnAllMembers(false);
    }
}
