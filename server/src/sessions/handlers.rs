//! `/api/v1/auth/*` and `/api/v1/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, Tokens};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::regions::Region;
use crate::regions::repo as regions_repo;
use crate::state::AppState;
use crate::users::User;
use crate::users::repo as users_repo;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// An OAuth 2 token response (RFC 6749, section 5.1).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; usable once.
    pub refresh_token: String,
    /// Seconds until the refresh token expires unless used.
    pub refresh_expires_in: i64,
}

impl From<Tokens> for TokenResponse {
    fn from(tokens: Tokens) -> Self {
        Self {
            access_token: tokens.access_token,
            token_type: "Bearer",
            expires_in: tokens.expires_in,
            refresh_token: tokens.refresh_token,
            refresh_expires_in: tokens.refresh_expires_in,
        }
    }
}

/// Signs in with a username and password.
///
/// Repeated failures for one username or from one address are refused with `429` and a
/// `Retry-After` header for the rest of the window.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = TokenResponse))
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { username, password } = body.into_inner();
    let address = client_address(&req, state.config.behind_proxy);
    let tokens = service::login(&state, username, password, address).await?;
    Ok(no_store(TokenResponse::from(tokens)))
}

/// Exchanges a refresh token for a new access and refresh token.
///
/// Each refresh token works once. Presenting one again revokes every token descended from
/// the same login, since it means the token was copied.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse))
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = service::refresh(&state, body.into_inner().refresh_token).await?;
    Ok(no_store(TokenResponse::from(tokens)))
}

/// Signs out: revokes the refresh token and every token descended from the same login.
/// Unknown tokens are accepted too, so that retrying a logout is harmless.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "revoked"))
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    state
        .db
        .write(move |conn| {
            crate::auth::refresh::revoke_by_token(conn, &token).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the access token belongs to.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    /// The caller's region and its ancestors, from the county down; empty for an
    /// administrator of the whole installation.
    pub regions: Vec<Region>,
}

#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = Me)),
    security(("bearer" = []))
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Me>> {
    let (user, regions) = state
        .db
        .read(move |conn| {
            let user =
                users_repo::find_by_id(conn, &caller.user_id)?.ok_or(ApiError::NotFound("user"))?;
            let region = match &user.region_code {
                Some(code) => regions_repo::find(conn, code)?,
                None => None,
            };
            let chain = match region {
                Some(region) => regions_repo::ancestry(conn, &region)?,
                None => Vec::new(),
            };
            Ok::<_, ApiError>((user, chain))
        })
        .await?;
    Ok(web::Json(Me {
        user: User::try_from(user)?,
        regions: regions
            .into_iter()
            .map(Region::try_from)
            .collect::<Result<_, _>>()?,
    }))
}

/// Token responses must not be cached (RFC 6749, section 5.1).
fn no_store(body: TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

fn client_address(req: &HttpRequest, behind_proxy: bool) -> String {
    let info = req.connection_info();
    let address = if behind_proxy {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    address.unwrap_or("unknown").to_owned()
}
