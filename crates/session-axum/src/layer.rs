//! The tower layer and service: translation between `http` types and the lifecycle.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{COOKIE, HOST, RETRY_AFTER, SET_COOKIE};
use http::uri::Scheme;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use session_core::lifecycle::{
    HeaderValues, LazySession, RequestView, ResponseUpdate, SessionManager, X_FORWARDED_HOST,
    X_FORWARDED_PROTO,
};
use tower::{Layer, Service};

/// Adds a lazily loaded session to every request (see the crate docs).
#[derive(Debug, Clone)]
pub struct SessionLayer {
    manager: SessionManager,
    /// The resolver's header name, parsed once.
    session_header: Option<HeaderName>,
}

impl SessionLayer {
    /// A layer running `manager`'s lifecycle.
    pub fn new(manager: SessionManager) -> Self {
        let session_header = manager.resolver().header_name().and_then(|name| {
            let parsed = HeaderName::from_bytes(name.as_bytes()).ok();
            if parsed.is_none() {
                tracing::error!("the session header name is not a valid header name; ignoring it");
            }
            parsed
        });
        Self {
            manager,
            session_header,
        }
    }

    /// The manager.
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`SessionLayer`].
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    layer: SessionLayer,
}

fn begin<B>(layer: &SessionLayer, request: &Request<B>) -> LazySession {
    let headers = request.headers();
    let trusted = layer.manager.forwarded_headers().is_trusted();
    let forwarded = |name| {
        trusted
            .then(|| headers.get(name).map(HeaderValue::as_bytes))
            .flatten()
    };
    let cookies: HeaderValues<'_> = headers
        .get_all(COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let values: HeaderValues<'_> = match &layer.session_header {
        Some(name) => headers
            .get_all(name)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect(),
        None => HeaderValues::default(),
    };
    let view = RequestView {
        cookie_headers: cookies.as_slice(),
        header_values: values.as_slice(),
        secure: request.uri().scheme() == Some(&Scheme::HTTPS),
        host: headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().host()),
        forwarded_proto: forwarded(X_FORWARDED_PROTO),
        forwarded_host: forwarded(X_FORWARDED_HOST),
    };
    layer.manager.begin_view(&view)
}

fn apply(layer: &SessionLayer, headers: &mut http::HeaderMap, update: ResponseUpdate) {
    for cookie in update.set_cookies {
        match HeaderValue::try_from(cookie) {
            Ok(value) => {
                headers.append(SET_COOKIE, value);
            }
            Err(_) => tracing::error!(
                "session cookie is not a valid header value; check the cookie configuration"
            ),
        }
    }
    // The only other header is the resolver's session header.
    for (_, value) in update.headers {
        match (&layer.session_header, HeaderValue::try_from(value)) {
            (Some(name), Ok(value)) => {
                headers.insert(name.clone(), value);
            }
            _ => tracing::error!("session header is not valid; check the resolver configuration"),
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let session = begin(&self.layer, &request);
        let layer = self.layer.clone();
        request.extensions_mut().insert(session.clone());
        // The inner service was polled ready: called here, its future awaited below (no
        // clone of the inner service per request).
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            match session.commit().await {
                Ok(update) => apply(&layer, response.headers_mut(), update),
                Err(error) => {
                    // The cause was logged where it happened.
                    let answer = layer.manager.failure_response();
                    tracing::debug!(error = %error, status = answer.status, "answering after a session store failure");
                    let mut failure = Response::new(ResBody::default());
                    *failure.status_mut() = StatusCode::from_u16(answer.status)
                        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    if let Some(secs) = answer.retry_after_secs {
                        failure
                            .headers_mut()
                            .insert(RETRY_AFTER, HeaderValue::from(secs));
                    }
                    return Ok(failure);
                }
            }
            Ok(response)
        })
    }
}
