//! The middleware (`Transform`): translation between actix-web types and the lifecycle.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    COOKIE, HOST, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, SET_COOKIE,
};
use actix_web::{Error, HttpMessage, HttpResponse};
use session_core::lifecycle::{
    HeaderValues, LazySession, RequestView, ResponseUpdate, SessionManager, X_FORWARDED_HOST,
    X_FORWARDED_PROTO,
};

/// Adds a lazily loaded session to every request (see the crate docs). Cheap to clone;
/// build it once and `.wrap(middleware.clone())` in the `HttpServer` factory. Configure
/// the lifecycle on the [`SessionManager`] (`with_concurrent_sessions`, `with_signer`,
/// `with_store_failure_policy`...).
#[derive(Debug, Clone)]
pub struct SessionMiddleware {
    manager: SessionManager,
    /// The resolver's header name, parsed once.
    session_header: Option<HeaderName>,
}

impl SessionMiddleware {
    /// A middleware running `manager`'s lifecycle.
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

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = SessionMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionMiddlewareService {
            service: Rc::new(service),
            middleware: self.clone(),
        }))
    }
}

/// The service made by [`SessionMiddleware`].
#[derive(Debug)]
pub struct SessionMiddlewareService<S> {
    service: Rc<S>,
    middleware: SessionMiddleware,
}

fn begin(middleware: &SessionMiddleware, request: &ServiceRequest) -> LazySession {
    let headers = request.headers();
    let trusted = middleware.manager.forwarded_headers().is_trusted();
    let forwarded = |name| {
        trusted
            .then(|| headers.get(name).map(HeaderValue::as_bytes))
            .flatten()
    };
    let cookies: HeaderValues<'_> = headers.get_all(COOKIE).map(HeaderValue::as_bytes).collect();
    let values: HeaderValues<'_> = match &middleware.session_header {
        Some(name) => headers.get_all(name).map(HeaderValue::as_bytes).collect(),
        None => HeaderValues::default(),
    };
    let view = RequestView {
        cookie_headers: cookies.as_slice(),
        header_values: values.as_slice(),
        secure: request.app_config().secure(),
        host: headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().host()),
        forwarded_proto: forwarded(X_FORWARDED_PROTO),
        forwarded_host: forwarded(X_FORWARDED_HOST),
    };
    middleware.manager.begin_view(&view)
}

fn apply(middleware: &SessionMiddleware, headers: &mut HeaderMap, update: ResponseUpdate) {
    for cookie in update.set_cookies {
        match HeaderValue::try_from(cookie) {
            Ok(value) => headers.append(SET_COOKIE, value),
            Err(_) => tracing::error!(
                "session cookie is not a valid header value; check the cookie configuration"
            ),
        }
    }
    // The only other header is the resolver's session header.
    for (_, value) in update.headers {
        match (&middleware.session_header, HeaderValue::try_from(value)) {
            (Some(name), Ok(value)) => {
                headers.insert(name.clone(), value);
            }
            _ => tracing::error!("session header is not valid; check the resolver configuration"),
        }
    }
}

impl<S, B> Service<ServiceRequest> for SessionMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let session = begin(&self.middleware, &request);
        let middleware = self.middleware.clone();
        request.extensions_mut().insert(session.clone());
        let response = self.service.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            match session.commit().await {
                Ok(update) => {
                    apply(&middleware, response.headers_mut(), update);
                    Ok(response.map_into_left_body())
                }
                Err(error) => {
                    // The cause was logged where it happened.
                    let answer = middleware.manager.failure_response();
                    tracing::debug!(error = %error, status = answer.status, "answering after a session store failure");
                    let (request, _) = response.into_parts();
                    let mut failure = HttpResponse::build(
                        StatusCode::from_u16(answer.status)
                            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                    );
                    if let Some(secs) = answer.retry_after_secs {
                        failure.insert_header((RETRY_AFTER, secs.to_string()));
                    }
                    Ok(ServiceResponse::new(request, failure.finish()).map_into_right_body())
                }
            }
        })
    }
}
