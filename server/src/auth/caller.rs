use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::keys::TokenError;
use super::{Role, Scope};
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated user behind a request, taken from its bearer token. Every handler that
/// needs a user takes a `Caller`, and every role or region decision goes through its methods,
/// so that authorization is decided in one place.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

impl Caller {
    /// Refuses (403) a caller whose role is not one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Admin])
    }

    /// Whether the caller may see a region (and what hangs on it) with this path.
    pub fn sees(&self, region_path: &str) -> bool {
        self.scope.contains_path(region_path)
    }

    async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
        let token = bearer_token(&req)?;
        let claims = state
            .keys
            .verify(token)
            .await
            .map_err(|error| match error {
                TokenError::Database(e) => ApiError::from(e),
                TokenError::Signing(e) => ApiError::Internal(e.into()),
                TokenError::Malformed | TokenError::UnknownKey | TokenError::Invalid(_) => {
                    tracing::debug!(%error, "access token refused");
                    ApiError::Unauthenticated("the access token is invalid or expired")
                }
            })?;
        Ok(Caller {
            user_id: claims.sub,
            username: claims.username,
            role: claims.role,
            scope: claims.scope,
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(
            "send an Authorization: Bearer <token> header",
        ))?;
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the Authorization header is not a bearer token",
        ))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        Box::pin(Self::authenticate(req.clone()))
    }
}
