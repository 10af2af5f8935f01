//! The middleware (`Transform`) and its builder.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    COOKIE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, SET_COOKIE,
};
use actix_web::{Error, HttpMessage, HttpResponse};
use session_core::lifecycle::{
    ConcurrentSessions, CookieSigner, IdResolver, LazySession, RequestIds, ResponseUpdate,
    SessionManager, StoreFailurePolicy,
};
use session_core::{Clock, SessionRepository};

/// Adds a lazily loaded session to every request (see the crate docs). Cheap to clone;
/// build it once and `.wrap(middleware.clone())` in the `HttpServer` factory.
#[derive(Debug, Clone)]
pub struct SessionMiddleware {
    manager: SessionManager,
}

impl SessionMiddleware {
    /// A middleware running `manager`'s lifecycle.
    pub fn new(manager: SessionManager) -> Self {
        Self { manager }
    }

    /// A builder over `repository`, starting from Spring's defaults.
    pub fn builder(repository: impl SessionRepository + 'static) -> SessionMiddlewareBuilder {
        SessionMiddlewareBuilder {
            manager: SessionManager::new(repository),
        }
    }

    /// A builder over a shared repository.
    pub fn builder_shared(repository: Arc<dyn SessionRepository>) -> SessionMiddlewareBuilder {
        SessionMiddlewareBuilder {
            manager: SessionManager::from_shared(repository),
        }
    }

    /// The manager.
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

/// Builds a [`SessionMiddleware`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionMiddlewareBuilder {
    manager: SessionManager,
}

impl SessionMiddlewareBuilder {
    /// How the id travels (cookie, header, or cookie then header).
    pub fn resolver(mut self, resolver: IdResolver) -> Self {
        self.manager = self.manager.with_resolver(resolver);
        self
    }

    /// Signs cookie values.
    pub fn signer(mut self, signer: CookieSigner) -> Self {
        self.manager = self.manager.with_signer(signer);
        self
    }

    /// Limits the sessions per principal at login.
    pub fn concurrent_sessions(mut self, limit: ConcurrentSessions) -> Self {
        self.manager = self.manager.with_concurrent_sessions(limit);
        self
    }

    /// What happens when the store fails.
    pub fn store_failure_policy(mut self, policy: StoreFailurePolicy) -> Self {
        self.manager = self.manager.with_store_failure_policy(policy);
        self
    }

    /// The deadline of each store operation of a request (default 1.5 s; `None` waits
    /// as long as the repository does).
    pub fn store_deadline(mut self, deadline: Option<std::time::Duration>) -> Self {
        self.manager = self.manager.with_store_deadline(deadline);
        self
    }

    /// The `Retry-After` of the 503 answered after a store failure (default 1 s).
    pub fn retry_after(mut self, retry_after: std::time::Duration) -> Self {
        self.manager = self.manager.with_retry_after(retry_after);
        self
    }

    /// The clock for last-accessed times.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.manager = self.manager.with_clock(clock);
        self
    }

    /// The middleware.
    pub fn build(self) -> SessionMiddleware {
        SessionMiddleware::new(self.manager)
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
            manager: self.manager.clone(),
        }))
    }
}

/// The service made by [`SessionMiddleware`].
#[derive(Debug)]
pub struct SessionMiddlewareService<S> {
    service: Rc<S>,
    manager: SessionManager,
}

fn begin(manager: &SessionManager, request: &ServiceRequest) -> LazySession {
    let headers = request.headers();
    let header_values = manager
        .resolver()
        .header_name()
        .and_then(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .map(|name| headers.get_all(name).map(HeaderValue::as_bytes).collect())
        .unwrap_or_default();
    let host = request.connection_info().host().to_owned();
    let ids = RequestIds {
        cookie_headers: headers.get_all(COOKIE).map(HeaderValue::as_bytes).collect(),
        header_values,
        secure: request.app_config().secure(),
        host: Some(host.as_str()),
    };
    manager.begin(&ids)
}

fn apply(headers: &mut HeaderMap, update: ResponseUpdate) {
    for cookie in update.set_cookies {
        match HeaderValue::try_from(cookie) {
            Ok(value) => headers.append(SET_COOKIE, value),
            Err(_) => tracing::error!(
                "session cookie is not a valid header value; check the cookie configuration"
            ),
        }
    }
    for (name, value) in update.headers {
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value),
        ) {
            (Ok(name), Ok(value)) => {
                headers.insert(name, value);
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
        let service = Rc::clone(&self.service);
        let session = begin(&self.manager, &request);
        let manager = self.manager.clone();
        Box::pin(async move {
            request.extensions_mut().insert(session.clone());
            let mut response = service.call(request).await?;
            match session.commit().await {
                Ok(update) => {
                    apply(response.headers_mut(), update);
                    Ok(response.map_into_left_body())
                }
                Err(error) => {
                    // The cause was logged where it happened.
                    let answer = manager.failure_response();
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
