//! Signed-in web sessions: the cookie, its CSRF token, sign-in forms that cannot be posted
//! from another site, and throttling of failed sign-ins.
//!
//! - **Sessions die with their token.** A session id is 32 random bytes, sent as the cookie
//!   `ivd_session` (`HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when the gateway is
//!   served over HTTPS); the database keeps only its SHA-256, so a copy of the database
//!   opens no session. A session is bound to the token that opened it and to that token's
//!   account **by id**, and every request checks both live: revoking the token (`token
//!   rotate`) or closing the account (`token revoke`) ends the session at its next request,
//!   and the role is the account's, read then. Each session belongs to one realm (the
//!   operator dashboard or the employer pages) and opens nothing in the other.
//! - **CSRF.** Every session has its own CSRF token, which each form carries in a hidden
//!   field and every POST must return. Sign-in forms, which come before any session, are
//!   paired with a short-lived cookie ([`FormPairing`]): a sign-in posted from another site
//!   (login CSRF) lacks the cookie and is refused.
//! - **Throttling.** Failed sign-ins are counted per realm (an employer's failures never
//!   lock an operator out of the dashboard) by name *and client address*: five failures
//!   for one name from one address lock that pair for fifteen minutes, so a stranger
//!   cannot lock an operator out from elsewhere; twenty failures from one address lock that
//!   address for every name, so guessing with varying names is slowed; a hundred failures
//!   for one name from anywhere lock the name (the bound on guessing from many addresses).
//!   Messages never say whether a name exists.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::tokens::{self, Role, TokenHolder};
use crate::store::{Db, StoreError};
use crate::{on_db, on_read};

/// The largest body of a form anyone may post (sign-in, asking for an account).
pub(crate) const PUBLIC_FORM_BYTES: usize = 16 * 1024;
/// The session cookie's name.
pub const COOKIE: &str = "ivd_session";
/// How long a session lasts without signing in again.
pub const LIFETIME_MS: i64 = 8 * 3600 * 1000;
/// Failed sign-ins allowed for one name from one client address within [`LOCKOUT_WINDOW_MS`].
pub const MAX_FAILURES: i64 = 5;
/// Failed sign-ins allowed from one client address, whatever the names, within the window.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;
/// Failed sign-ins allowed for one name from all addresses together within the window.
pub const MAX_FAILURES_PER_NAME: i64 = 100;
/// The lock-out window.
pub const LOCKOUT_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Where a session works: the operator dashboard or the employer pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Realm {
    /// The operator dashboard (`/`): operators and admins.
    Dashboard,
    /// The employer pages (`/employer`): employer accounts holding a FEIN.
    Employer,
}

impl Realm {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Realm::Dashboard => "dashboard",
            Realm::Employer => "employer",
        }
    }

    /// True when `holder` may sign in here.
    pub fn admits(self, holder: &TokenHolder) -> bool {
        match self {
            Realm::Dashboard => matches!(holder.role, Role::Operator | Role::Admin),
            Realm::Employer => holder.role == Role::Employer && !holder.feins.is_empty(),
        }
    }

    fn admits_role(self, role: Role) -> bool {
        match self {
            Realm::Dashboard => matches!(role, Role::Operator | Role::Admin),
            Realm::Employer => role == Role::Employer,
        }
    }
}

/// A signed-in session, as checked at this request.
#[derive(Clone, Debug)]
pub struct Session {
    /// The account signed in (the identity).
    pub account_id: i64,
    /// The token that opened the session.
    pub token_id: i64,
    /// The account's name (shown, never used as a key).
    pub holder: String,
    /// The account's role, read at this request.
    pub role: Role,
    /// The CSRF token of this session.
    pub csrf: String,
}

impl Session {
    /// True when `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        self.csrf.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// How the audit trail names the signed-in account.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.holder)
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Starts a session in `realm` for the holder of a token just presented; returns the
/// cookie value.
pub async fn start(
    db: &Db,
    realm: Realm,
    holder: &TokenHolder,
    now: i64,
) -> Result<String, StoreError> {
    let id = random_token();
    on_db!(db, c => {
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(c)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, account_id, token_id, realm, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash(&id))
        .bind(holder.account_id)
        .bind(holder.token_id)
        .bind(realm.as_str())
        .bind(random_token())
        .bind(now)
        .bind(now + LIFETIME_MS)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(id)
}

/// The `realm` session whose cookie the request carries, when it is valid now: not
/// expired, its token not revoked, its account open and its role still admitted here.
pub async fn from_headers(
    db: &Db,
    realm: Realm,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    let Some(id) = cookie(headers, COOKIE) else {
        return Ok(None);
    };
    let row: Option<(i64, i64, String, String, String)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT s.account_id, s.token_id, a.name, a.role, s.csrf FROM web_sessions s \
             JOIN api_tokens t ON t.id = s.token_id AND t.account_id = s.account_id \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.id_hash = $1 AND s.realm = $2 AND s.expires_at > $3 \
             AND t.revoked_at IS NULL AND a.closed_at IS NULL",
        )
        .bind(hash(&id))
        .bind(realm.as_str())
        .bind(now)
        .fetch_optional(c)
        .await?
    });
    Ok(row.and_then(|(account_id, token_id, holder, role, csrf)| {
        let role = Role::parse(&role).filter(|role| realm.admits_role(*role))?;
        Some(Session {
            account_id,
            token_id,
            holder,
            role,
            csrf,
        })
    }))
}

/// The account behind a valid session of either realm the request carries, if any (to
/// record who asked for an employer account, so that they cannot approve it).
pub async fn account_behind(
    db: &Db,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    for realm in [Realm::Dashboard, Realm::Employer] {
        if let Some(session) = from_headers(db, realm, headers, now).await? {
            return Ok(Some(session.account_id));
        }
    }
    Ok(None)
}

/// Ends the session the request carries.
pub async fn end(db: &Db, headers: &HeaderMap) -> Result<(), StoreError> {
    if let Some(id) = cookie(headers, COOKIE) {
        on_db!(db, c => {
            sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
                .bind(hash(&id))
                .execute(c)
                .await?
                .rows_affected()
        });
    }
    Ok(())
}

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session cookie's value and who it is.
    Started {
        /// The session id for the cookie.
        session_id: String,
        /// The account signed in.
        holder: TokenHolder,
    },
    /// Too many failures lately for this name from this address, for this address, or for
    /// this name; nothing was checked.
    Throttled,
    /// The name and token do not match an account admitted to the realm.
    Refused,
}

/// A whole sign-in: throttling first, then the token, its account's name and role; a
/// failure is counted, a success clears this name's failures from this address.
pub async fn sign_in(
    db: &Db,
    realm: Realm,
    name: &str,
    presented: &str,
    client: &str,
    now: i64,
) -> Result<SignIn, StoreError> {
    if throttled(db, realm, name, client, now).await? {
        return Ok(SignIn::Throttled);
    }
    let holder = tokens::authenticate(db, presented.trim()).await?;
    let Some(holder) = holder.filter(|h| h.name == name && realm.admits(h)) else {
        note_failure(db, realm, name, client, now).await?;
        return Ok(SignIn::Refused);
    };
    clear_failures(db, realm, name, client).await?;
    let session_id = start(db, realm, &holder, now).await?;
    Ok(SignIn::Started { session_id, holder })
}

/// Records a failed sign-in for `name` from `client`.
pub async fn note_failure(
    db: &Db,
    realm: Realm,
    name: &str,
    client: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_db!(db, c => {
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(now - LOCKOUT_WINDOW_MS)
            .execute(c)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (realm, name, client, at) VALUES ($1, $2, $3, $4)")
            .bind(realm.as_str())
            .bind(name)
            .bind(client)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// True when `name` from `client` may not try again now (see the module's rules).
pub async fn throttled(
    db: &Db,
    realm: Realm,
    name: &str,
    client: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let (pair, from_client, for_name): (i64, i64, i64) = on_read!(db, c => {
        sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM sign_in_failures WHERE realm = $1 AND name = $2 AND client = $3 AND at >= $4), \
             (SELECT COUNT(*) FROM sign_in_failures WHERE realm = $1 AND client = $3 AND at >= $4), \
             (SELECT COUNT(*) FROM sign_in_failures WHERE realm = $1 AND name = $2 AND at >= $4)",
        )
        .bind(realm.as_str())
        .bind(name)
        .bind(client)
        .bind(now - LOCKOUT_WINDOW_MS)
        .fetch_one(c)
        .await?
    });
    Ok(pair >= MAX_FAILURES
        || from_client >= MAX_FAILURES_PER_CLIENT
        || for_name >= MAX_FAILURES_PER_NAME)
}

/// Clears the failures of `name` from `client` after a successful sign-in.
pub async fn clear_failures(
    db: &Db,
    realm: Realm,
    name: &str,
    client: &str,
) -> Result<(), StoreError> {
    on_db!(db, c => {
        sqlx::query("DELETE FROM sign_in_failures WHERE realm = $1 AND name = $2 AND client = $3")
            .bind(realm.as_str())
            .bind(name)
            .bind(client)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// The `Set-Cookie` value that carries a new session.
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        LIFETIME_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// A form that comes before any session (sign-in, asking for an account), paired with a
/// cookie: the form carries a random value in a hidden field, the cookie the same value,
/// and a post is taken only when both are present and equal. Another site can make a
/// browser post the form but can neither read nor set the cookie (`SameSite=Strict`,
/// `HttpOnly`), so its post is refused.
#[derive(Clone, Copy, Debug)]
pub struct FormPairing {
    /// The cookie's name.
    pub cookie: &'static str,
    /// The path the cookie is sent to (the form's action).
    pub path: &'static str,
}

impl FormPairing {
    /// A new random value for a form and its cookie.
    pub fn new_value() -> String {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    /// The `Set-Cookie` value carrying `value` for an hour.
    pub fn set_cookie(&self, value: &str, secure: bool) -> String {
        format!(
            "{}={value}; Path={}; HttpOnly; SameSite=Strict; Max-Age=3600{}",
            self.cookie,
            self.path,
            if secure { "; Secure" } else { "" }
        )
    }

    /// True when the request's cookie and the posted `value` are present and equal.
    pub fn paired(&self, headers: &HeaderMap, posted: &str) -> bool {
        !posted.is_empty()
            && cookie(headers, self.cookie)
                .is_some_and(|value| bool::from(value.as_bytes().ct_eq(posted.as_bytes())))
    }
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty() && value.len() <= 100)
}

/// `response` with one more `Set-Cookie` header.
pub fn with_cookie(
    mut response: axum::response::Response,
    set_cookie: &str,
) -> axum::response::Response {
    if let Ok(value) = axum::http::HeaderValue::from_str(set_cookie) {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, value);
    }
    response
}

/// A posted sign-in form (both realms' forms have these fields).
#[derive(Debug, serde::Deserialize)]
pub struct SignInForm {
    /// The account's name.
    pub name: String,
    /// The token presented.
    pub token: String,
    /// The value pairing the form with its cookie.
    #[serde(default)]
    pub form_token: String,
}

/// One realm's sign-in page: how it is drawn, the cookie its form is paired with, what it
/// says, and where a signed-in user goes.
pub struct SignInPage {
    /// The realm it signs in to.
    pub realm: Realm,
    /// The cookie the form is paired with.
    pub pairing: FormPairing,
    /// Draws the page: an optional message, the name typed, the form's pairing value.
    pub draw: fn(Option<&str>, &str, &str) -> maud::Markup,
    /// The message for an empty or overlong name.
    pub incomplete: &'static str,
    /// The message when failures lately throttle the attempt.
    pub throttled: &'static str,
    /// The message when the name and token do not match an admitted account.
    pub refused: &'static str,
    /// Where a signed-in user is sent.
    pub home: &'static str,
}

impl SignInPage {
    /// The page with `status` and `message` (if any), its form paired with a new cookie.
    pub fn answer(
        &self,
        state: &crate::web::AppState,
        status: axum::http::StatusCode,
        message: Option<&str>,
        name: &str,
    ) -> axum::response::Response {
        let pairing = FormPairing::new_value();
        let page = (
            status,
            [
                (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (axum::http::header::CACHE_CONTROL, "no-store"),
            ],
            (self.draw)(message, name, &pairing).into_string(),
        );
        with_cookie(
            axum::response::IntoResponse::into_response(page),
            &self
                .pairing
                .set_cookie(&pairing, state.settings.server.secure_cookies),
        )
    }

    /// The answer to a posted form: refused unless paired with its cookie (login CSRF),
    /// then [`sign_in`]; a success sets the session cookie and goes [`SignInPage::home`].
    pub async fn post(
        &self,
        state: &crate::web::AppState,
        client: &str,
        headers: &HeaderMap,
        form: &SignInForm,
    ) -> axum::response::Response {
        use axum::http::StatusCode;
        use axum::response::IntoResponse;
        let name = form.name.trim();
        if !self.pairing.paired(headers, &form.form_token) {
            return self.answer(
                state,
                StatusCode::FORBIDDEN,
                Some("This sign-in form has expired. Sign in again."),
                name,
            );
        }
        if name.is_empty() || name.len() > 200 {
            return self.answer(state, StatusCode::UNAUTHORIZED, Some(self.incomplete), name);
        }
        let now = crate::store::now_ms();
        match sign_in(&state.db, self.realm, name, &form.token, client, now).await {
            Ok(SignIn::Started { session_id, holder }) => {
                tracing::info!(
                    account = holder.account_id,
                    realm = self.realm.as_str(),
                    "Signed in."
                );
                with_cookie(
                    axum::response::Redirect::to(self.home).into_response(),
                    &set_cookie(&session_id, state.settings.server.secure_cookies),
                )
            }
            Ok(SignIn::Throttled) => {
                tracing::warn!(
                    realm = self.realm.as_str(),
                    "A sign-in was refused: too many failures lately."
                );
                self.answer(state, StatusCode::UNAUTHORIZED, Some(self.throttled), name)
            }
            Ok(SignIn::Refused) => {
                self.answer(state, StatusCode::UNAUTHORIZED, Some(self.refused), name)
            }
            Err(error) => crate::web::ApiError::from(error).into_response(),
        }
    }
}

/// Signs out: the session ends on the server and its cookie is removed; then to `to`.
pub async fn sign_out(db: &Db, headers: &HeaderMap, to: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(error) = end(db, headers).await {
        return crate::web::ApiError::from(error).into_response();
    }
    with_cookie(
        axum::response::Redirect::to(to).into_response(),
        &clear_cookie(),
    )
}
