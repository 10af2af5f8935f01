package com.example.shop;

import java.math.BigDecimal;
import java.util.List;

import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.util.HtmlUtils;

/** The shop's HTML, laid out like the Rust shop's pages (examples/shop/src/pages.rs). */
final class Pages {

    private Pages() {
    }

    static String esc(String s) {
        return s == null ? "" : HtmlUtils.htmlEscape(s);
    }

    static String price(BigDecimal p) {
        return p.setScale(2, java.math.RoundingMode.HALF_EVEN).toPlainString();
    }

    static String csrfInput(CsrfToken csrf) {
        if (csrf == null) {
            return "";
        }
        return "<input type=\"hidden\" name=\"" + esc(csrf.getParameterName()) + "\" value=\""
                + esc(csrf.getToken()) + "\">";
    }

    static String layout(String title, String user, CsrfToken csrf, String body) {
        String who = user == null
                ? "<a href=\"/login\">Sign in</a>"
                : "Signed in as <span class=\"user\">" + esc(user) + "</span> "
                        + "<a href=\"/sessions\">My sessions</a> "
                        + "<form method=\"post\" action=\"/logout\" style=\"display:inline\">" + csrfInput(csrf)
                        + "<button>Sign out</button></form>";
        return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title)
                + " - Spring shop</title></head>\n<body>\n<header><a href=\"/\">Spring shop</a> | "
                + "<a href=\"/basket\">Basket</a> | " + who + "</header>\n<h1>" + esc(title) + "</h1>\n"
                + body + "\n</body></html>\n";
    }

    static String recentList(List<ProductDto> recent) {
        if (recent.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("<h2>Recently viewed</h2>\n<ol class=\"recent\">\n");
        for (ProductDto p : recent) {
            out.append("<li><a href=\"/products/").append(p.id()).append("\">").append(esc(p.name()))
                    .append("</a></li>\n");
        }
        return out.append("</ol>\n").toString();
    }

    static String productList(List<ProductDto> products, List<ProductDto> recent) {
        StringBuilder out = new StringBuilder("<ul class=\"products\">\n");
        for (ProductDto p : products) {
            out.append("<li><a href=\"/products/").append(p.id()).append("\">").append(esc(p.name()))
                    .append("</a> ").append(price(p.listPrice())).append("</li>\n");
        }
        return out.append("</ul>\n").append(recentList(recent)).toString();
    }

    static String productPage(ProductDto product, List<ProductDto> recent) {
        return "<p class=\"price\">" + price(product.listPrice()) + "</p>\n<p><a href=\"/basket/add?items="
                + product.id() + "\">Add to basket</a></p>\n" + recentList(recent);
    }

    static String basketPage(Basket basket) {
        if (basket.lines().isEmpty()) {
            return "<p>Your basket is empty.</p>\n";
        }
        StringBuilder out = new StringBuilder(
                "<table class=\"basket\">\n<tr><th>Product</th><th>Qty</th><th>Price</th></tr>\n");
        for (BasketItem item : basket.lines()) {
            out.append("<tr><td>").append(esc(item.product().name())).append("</td><td>")
                    .append(item.quantity()).append("</td><td>").append(price(item.total()))
                    .append("</td></tr>\n");
        }
        return out.append("<tr><td>Total</td><td>").append(basket.units()).append("</td><td class=\"total\">")
                .append(price(basket.total())).append("</td></tr>\n</table>").toString();
    }

    static String loginPage(String message, CsrfToken csrf) {
        String m = message == null ? "" : "<p class=\"error\">" + esc(message) + "</p>\n";
        return m + "<form method=\"post\" action=\"/login\">\n" + csrfInput(csrf)
                + "<label>User <input name=\"username\"></label>\n"
                + "<label>Password <input name=\"password\" type=\"password\"></label>\n"
                + "<button>Sign in</button>\n</form>\n<p>Demo users: user/password, user2/password2.</p>";
    }

    record SessionRow(String id, long created, long lastAccessed, boolean current) {
    }

    static String sessionsPage(List<SessionRow> rows, CsrfToken csrf) {
        StringBuilder out = new StringBuilder(
                "<table class=\"sessions\">\n<tr><th>Session</th><th>Created</th><th>Last access</th><th></th></tr>\n");
        for (SessionRow r : rows) {
            out.append("<tr><td>").append(esc(r.id().substring(0, Math.min(8, r.id().length()))))
                    .append(r.current() ? " (this one)" : "").append("</td><td>").append(r.created())
                    .append("</td><td>").append(r.lastAccessed()).append("</td><td>")
                    .append("<form method=\"post\" action=\"/sessions/end\">").append(csrfInput(csrf))
                    .append("<input type=\"hidden\" name=\"id\" value=\"").append(esc(r.id()))
                    .append("\"><button>End</button></form></td></tr>\n");
        }
        return out.append("</table>").toString();
    }
}
