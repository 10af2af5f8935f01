package com.example.shop;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.DeferredSecurityContext;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.web.context.HttpRequestResponseHolder;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.session.FindByIndexNameSessionRepository;

/**
 * Accepts logins made by the Rust shop. Spring Security keeps its {@code SecurityContext} as a
 * Java-serialized session attribute that a Rust application cannot write; a Rust login sets
 * the session record's {@code principalName} instead, which HSS exposes as the attribute
 * {@link FindByIndexNameSessionRepository#PRINCIPAL_NAME_INDEX_NAME}. When the session holds no
 * security context but does hold a principal name of a known user, this repository rebuilds
 * the authentication from that user's details (an unknown name is not signed in).
 */
public final class PrincipalNameSecurityContextRepository implements SecurityContextRepository {

    private final HttpSessionSecurityContextRepository delegate = new HttpSessionSecurityContextRepository();
    private final UserDetailsService users;

    /** A repository that looks principal names up in {@code users}. */
    public PrincipalNameSecurityContextRepository(UserDetailsService users) {
        this.users = users;
    }

    @Override
    public DeferredSecurityContext loadDeferredContext(HttpServletRequest request) {
        DeferredSecurityContext stored = delegate.loadDeferredContext(request);
        return new DeferredSecurityContext() {
            private SecurityContext context;
            private boolean generated;

            private void resolve() {
                if (context != null) {
                    return;
                }
                SecurityContext found = stored.get();
                boolean isGenerated = stored.isGenerated();
                if (isGenerated) {
                    SecurityContext rebuilt = fromPrincipalName(request);
                    if (rebuilt != null) {
                        found = rebuilt;
                        isGenerated = false;
                    }
                }
                context = found;
                generated = isGenerated;
            }

            @Override
            public SecurityContext get() {
                resolve();
                return context;
            }

            @Override
            public boolean isGenerated() {
                resolve();
                return generated;
            }
        };
    }

    /** The deprecated eager form of {@link #loadDeferredContext}. */
    @Override
    @Deprecated
    public SecurityContext loadContext(HttpRequestResponseHolder holder) {
        return loadDeferredContext(holder.getRequest()).get();
    }

    private SecurityContext fromPrincipalName(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        if (session == null) {
            return null;
        }
        Object name = session.getAttribute(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME);
        if (!(name instanceof String principal) || principal.isEmpty()) {
            return null;
        }
        UserDetails user;
        try {
            user = users.loadUserByUsername(principal);
        } catch (UsernameNotFoundException e) {
            return null;
        }
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(
                UsernamePasswordAuthenticationToken.authenticated(user, null, user.getAuthorities()));
        return context;
    }

    @Override
    public void saveContext(SecurityContext context, HttpServletRequest request, HttpServletResponse response) {
        delegate.saveContext(context, request, response);
    }

    @Override
    public boolean containsContext(HttpServletRequest request) {
        return delegate.containsContext(request) || fromPrincipalName(request) != null;
    }
}
