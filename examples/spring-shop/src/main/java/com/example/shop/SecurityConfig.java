package com.example.shop;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;
import org.springframework.session.security.SpringSessionBackedSessionRegistry;

/**
 * Form login with the Rust shop's demo users, at most two sessions per user counted across
 * both shops (the registry reads the shared session map), and Rust logins accepted through
 * {@link PrincipalNameSecurityContextRepository}.
 */
@Configuration
public class SecurityConfig {

    /** At most this many sessions per user (the oldest is ended), as in the Rust shop. */
    public static final int MAX_SESSIONS_PER_USER = 2;

    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    /** The demo accounts of examples/shop/src/users.rs. */
    @Bean
    UserDetailsService users(PasswordEncoder encoder) {
        return new InMemoryUserDetailsManager(
                User.withUsername("user").password(encoder.encode("password")).roles("USER").build(),
                User.withUsername("user2").password(encoder.encode("password2")).roles("USER").build());
    }

    @Bean
    <S extends Session> SpringSessionBackedSessionRegistry<S> sessionRegistry(
            FindByIndexNameSessionRepository<S> sessions) {
        return new SpringSessionBackedSessionRegistry<>(sessions);
    }

    @Bean
    SecurityContextRepository securityContextRepository(UserDetailsService users) {
        return new PrincipalNameSecurityContextRepository(users);
    }

    @Bean
    SecurityFilterChain filterChain(HttpSecurity http, SpringSessionBackedSessionRegistry<?> registry,
            SecurityContextRepository contexts) throws Exception {
        http.authorizeHttpRequests(a -> a
                        .requestMatchers("/sessions", "/sessions/**", "/api/sessions").authenticated()
                        .anyRequest().permitAll())
                .formLogin(f -> f.loginPage("/login").defaultSuccessUrl("/", true).permitAll())
                .logout(l -> l.logoutUrl("/logout").logoutSuccessUrl("/"))
                .securityContext(c -> c.securityContextRepository(contexts))
                .sessionManagement(s -> s
                        .maximumSessions(MAX_SESSIONS_PER_USER)
                        .maxSessionsPreventsLogin(false)
                        .sessionRegistry(registry)
                        .expiredUrl("/login?expired"));
        return http.build();
    }
}
