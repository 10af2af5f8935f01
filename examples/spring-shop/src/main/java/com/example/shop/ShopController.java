package com.example.shop;

import java.math.BigDecimal;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.hazelcast.core.HazelcastJsonValue;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The shop's routes, the same as the Rust shop's where they make sense. The basket is the
 * session attribute {@code basket} ({@link Basket}, Compact); the recently viewed product ids
 * are the attribute {@code recently_viewed}, a JSON array in a {@link HazelcastJsonValue} as the
 * Rust shop writes it.
 */
@RestController
public class ShopController {

    /** Session attribute of the basket (the Rust shop's too). */
    public static final String BASKET = "basket";
    /** Session attribute of the recently viewed product ids, most recent first. */
    public static final String RECENTLY_VIEWED = "recently_viewed";
    /** How many recently viewed products are kept. */
    public static final int RECENT_LIMIT = 50;
    /** The marker {@code SpringSessionBackedSessionInformation.expireNow()} sets. */
    public static final String EXPIRED_ATTR =
            "org.springframework.session.security.SpringSessionBackedSessionInformation.EXPIRED";

    private static final MediaType HTML = new MediaType("text", "html", java.nio.charset.StandardCharsets.UTF_8);

    private final FindByIndexNameSessionRepository<? extends Session> sessions;

    ShopController(FindByIndexNameSessionRepository<? extends Session> sessions) {
        this.sessions = sessions;
    }

    private static ResponseEntity<String> html(int status, String body) {
        return ResponseEntity.status(status).contentType(HTML).body(body);
    }

    private static ResponseEntity<String> redirect(String to) {
        return ResponseEntity.status(303).header("Location", to).build();
    }

    private static String user(Principal principal) {
        return principal == null ? null : principal.getName();
    }

    private static CsrfToken csrf(HttpServletRequest request) {
        return (CsrfToken) request.getAttribute(CsrfToken.class.getName());
    }

    static Basket basket(HttpSession session, String user) {
        Object value = session == null ? null : session.getAttribute(BASKET);
        return value instanceof Basket b ? b : Basket.empty(user);
    }

    static List<Long> recentIds(HttpSession session) {
        Object value = session == null ? null : session.getAttribute(RECENTLY_VIEWED);
        List<Long> ids = new ArrayList<>();
        if (value instanceof HazelcastJsonValue json) {
            String text = json.getValue().trim();
            if (text.startsWith("[") && text.endsWith("]")) {
                for (String part : text.substring(1, text.length() - 1).split(",")) {
                    try {
                        if (!part.isBlank()) {
                            ids.add(Long.parseLong(part.trim()));
                        }
                    } catch (NumberFormatException e) {
                        return List.of();
                    }
                }
            }
        }
        return ids;
    }

    private static List<ProductDto> products(List<Long> ids) {
        return ids.stream().map(Catalogue::product).flatMap(Optional::stream).toList();
    }

    @GetMapping("/")
    ResponseEntity<String> home(HttpServletRequest request, Principal principal) {
        List<ProductDto> recent = products(recentIds(request.getSession(false)));
        return html(200, Pages.layout("Products", user(principal), csrf(request),
                Pages.productList(Catalogue.all(), recent)));
    }

    @GetMapping("/products/{id}")
    ResponseEntity<String> product(@PathVariable String id, HttpServletRequest request, Principal principal) {
        Optional<ProductDto> product;
        try {
            product = Catalogue.product(Long.parseLong(id));
        } catch (NumberFormatException e) {
            product = Optional.empty();
        }
        if (product.isEmpty()) {
            return html(404, Pages.layout("Not found", user(principal), csrf(request), "<p>No such product.</p>"));
        }
        HttpSession session = request.getSession();
        List<Long> recent = new ArrayList<>(recentIds(session));
        long pid = product.get().id();
        recent.remove(Long.valueOf(pid));
        recent.add(0, pid);
        while (recent.size() > RECENT_LIMIT) {
            recent.remove(recent.size() - 1);
        }
        session.setAttribute(RECENTLY_VIEWED, new HazelcastJsonValue(recent.toString().replace(" ", "")));
        return html(200, Pages.layout(product.get().name(), user(principal), csrf(request),
                Pages.productPage(product.get(), products(recent.subList(1, recent.size())))));
    }

    @GetMapping("/basket")
    ResponseEntity<String> basketPage(HttpServletRequest request, Principal principal) {
        return html(200, Pages.layout("Basket", user(principal), csrf(request),
                Pages.basketPage(basket(request.getSession(false), user(principal)))));
    }

    @GetMapping("/basket/add")
    ResponseEntity<String> basketAdd(@RequestParam(required = false) String items, HttpServletRequest request,
            Principal principal) {
        Optional<List<ProductDto>> products = Catalogue.parseItems(items);
        if (products.isEmpty()) {
            return ResponseEntity.status(400).contentType(MediaType.TEXT_PLAIN)
                    .body("items must be a comma-separated list of product ids");
        }
        HttpSession session = request.getSession();
        Basket basket = basket(session, user(principal));
        for (ProductDto p : products.get()) {
            basket = basket.add(p);
        }
        if (principal != null) {
            basket = basket.withPrincipal(principal.getName());
        }
        session.setAttribute(BASKET, basket);
        return redirect("/basket");
    }

    @GetMapping("/login")
    ResponseEntity<String> loginForm(@RequestParam(required = false) String error,
            @RequestParam(required = false) String expired, HttpServletRequest request) {
        String message = error != null ? "Wrong user name or password."
                : expired != null ? "Your session was ended because you signed in elsewhere." : null;
        return html(error != null ? 401 : 200, Pages.layout("Sign in", null, csrf(request),
                Pages.loginPage(message, csrf(request))));
    }

    /** The basket in the Rust shop's JSON shape (prices in cents). */
    @GetMapping("/api/basket")
    Map<String, Object> apiBasket(HttpServletRequest request, Principal principal) {
        Basket basket = basket(request.getSession(false), user(principal));
        List<Map<String, Object>> lines = new ArrayList<>();
        for (BasketItem item : basket.lines()) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("product_id", item.product().id());
            line.put("name", item.product().name());
            line.put("unit_price_cents", cents(item.orderPrice()));
            line.put("quantity", item.quantity());
            lines.add(line);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("lines", lines);
        out.put("units", basket.units());
        out.put("total_cents", cents(basket.total()));
        out.put("principal_name", basket.principalName());
        return out;
    }

    private static long cents(BigDecimal price) {
        return price.movePointRight(2).setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact();
    }

    @GetMapping("/api/recent")
    List<Long> apiRecent(HttpServletRequest request) {
        return recentIds(request.getSession(false));
    }

    @GetMapping("/api/products")
    List<ProductDto> apiProducts() {
        return Catalogue.all();
    }

    @GetMapping("/api/me")
    Map<String, Object> apiMe(Principal principal) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user", user(principal));
        return out;
    }

    /** The CSRF token for scripted clients (forms carry it as a hidden input). */
    @GetMapping("/api/csrf")
    Map<String, Object> apiCsrf(HttpServletRequest request) {
        CsrfToken token = csrf(request);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("parameter", token == null ? null : token.getParameterName());
        out.put("header", token == null ? null : token.getHeaderName());
        out.put("token", token == null ? null : token.getToken());
        return out;
    }

    /** The user's sessions (from either shop), without those the registry has expired. */
    private List<Pages.SessionRow> mySessions(HttpServletRequest request, Principal principal) {
        HttpSession current = request.getSession(false);
        String currentId = current == null ? null : current.getId();
        List<Pages.SessionRow> rows = new ArrayList<>();
        for (Session s : sessions.findByPrincipalName(principal.getName()).values()) {
            if (Boolean.TRUE.equals(s.getAttribute(EXPIRED_ATTR))) {
                continue;
            }
            rows.add(new Pages.SessionRow(s.getId(), s.getCreationTime().getEpochSecond(),
                    s.getLastAccessedTime().getEpochSecond(), s.getId().equals(currentId)));
        }
        rows.sort(Comparator.comparingLong(Pages.SessionRow::lastAccessed).reversed()
                .thenComparing(Pages.SessionRow::id));
        return rows;
    }

    @GetMapping("/sessions")
    ResponseEntity<String> sessionsPage(HttpServletRequest request, Principal principal) {
        return html(200, Pages.layout("My sessions", user(principal), csrf(request),
                Pages.sessionsPage(mySessions(request, principal), csrf(request))));
    }

    @GetMapping("/api/sessions")
    Map<String, Object> apiSessions(HttpServletRequest request, Principal principal) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Pages.SessionRow r : mySessions(request, principal)) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", r.id());
            row.put("created", r.created());
            row.put("last_accessed", r.lastAccessed());
            row.put("current", r.current());
            list.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user", principal.getName());
        out.put("sessions", list);
        return out;
    }

    /** Ends one of the user's sessions (this one: signs out). */
    @PostMapping("/sessions/end")
    ResponseEntity<String> endSession(@RequestParam String id, HttpServletRequest request, Principal principal) {
        boolean mine = mySessions(request, principal).stream().anyMatch(r -> r.id().equals(id));
        if (!mine) {
            return ResponseEntity.status(404).contentType(MediaType.TEXT_PLAIN).body("no such session");
        }
        HttpSession current = request.getSession(false);
        if (current != null && current.getId().equals(id)) {
            current.invalidate();
            return redirect("/");
        }
        sessions.deleteById(id);
        return redirect("/sessions");
    }
}
