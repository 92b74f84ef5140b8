//! One middleware that observes every request: it gives it an id (returned in `X-Request-Id`
//! and in every problem body), opens the tracing span its log lines belong to, and records
//! its count and latency for `/metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tracing::Instrument;

use super::request_id;
use crate::state::AppState;

pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request_id::accept_or_generate(
        req.headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| std::sync::Arc::clone(&state.metrics));
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        path = %req.path(),
        status = tracing::field::Empty,
    );

    let outcome = request_id::scope(id.clone(), next.call(req))
        .instrument(span.clone())
        .await;
    let mut response = outcome?;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(metrics) = metrics {
        metrics.record(&method, &route, status, elapsed);
    }
    span.record("status", status);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    // Successful requests are counted in /metrics; the log keeps what needs a look.
    span.in_scope(|| match status {
        500.. => tracing::warn!(route, latency_ms, "request failed"),
        400..500 => tracing::info!(route, latency_ms, "request refused"),
        _ => tracing::debug!(route, latency_ms, "request answered"),
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    Ok(response)
}
